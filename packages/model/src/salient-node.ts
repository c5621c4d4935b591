// IS-Net's weights from node_modules, for Node (the prediction API's photo endpoint, bench:photos,
// and the route that hands them to the classify page's worker). See ./salient.
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { createSalientSegmenter, SALIENT_SIDE, type SalientOptions, type SalientSegmenter } from "./salient";
import { freeInputSize } from "./salient-graph";

/** Which of the package's models: "small" is the int8-quantised one (44 MB), "medium" fp16 (88 MB). */
const MODEL = "/models/small";

interface Resources {
  [name: string]: { chunks: { hash: string; offsets: [number, number] }[]; size: number };
}

/** The package's directory, resolved by Node at run time. Through process.getBuiltinModule, not an
 * import of node:module: Next's bundler rewrites require.resolve calls it can see into module ids
 * (or an error when the name is not a literal). The web app depends on the package too, so it also
 * resolves from the app's server bundle. */
function dataPackageDir(): string {
  const { createRequire } = process.getBuiltinModule("node:module") as typeof import("node:module");
  return dirname(createRequire(import.meta.url).resolve("@imgly/background-removal-data/package.json"));
}

let prepared: Promise<Uint8Array> | null = null;

/** The package's model as shipped (1024x1024 only): its chunks joined (the package splits files
 * into 4 MB chunks named by hash). */
export async function shippedSalientModel(): Promise<Uint8Array> {
  const dist = join(dataPackageDir(), "dist");
  const resources = JSON.parse(await readFile(join(dist, "resources.json"), "utf8")) as Resources;
  const entry = resources[MODEL];
  if (!entry) throw new Error(`@imgly/background-removal-data has no ${MODEL}`);
  const bytes = new Uint8Array(entry.size);
  for (const chunk of entry.chunks) bytes.set(await readFile(join(dist, chunk.hash)), chunk.offsets[0]);
  return bytes;
}

/** The model with its input size freed; prepared once per process (about 2 s). */
export function salientModel(): Promise<Uint8Array> {
  prepared ??= shippedSalientModel().then(freeInputSize);
  prepared.catch(() => (prepared = null));
  return prepared;
}

const segmenters = new Map<number, Promise<SalientSegmenter>>();

/** One segmenter per process and side (bench:photos --isnet-side measures other sides). */
export function loadSalientSegmenter(options: SalientOptions = {}): Promise<SalientSegmenter> {
  const side = options.side ?? SALIENT_SIDE;
  let segmenter = segmenters.get(side);
  if (!segmenter) {
    segmenter = salientModel().then((model) => createSalientSegmenter(model, { ...options, side }));
    segmenter.catch(() => segmenters.delete(side));
    segmenters.set(side, segmenter);
  }
  return segmenter;
}
