import { createCaller, createTRPCContext } from "@fmnist/api";
import { candidateDirs, type FashionMnist, FIXTURE_DIR, hasAllFiles, IMAGE_PIXELS as PIXELS, readDataset, runSplitCounts } from "@fmnist/data";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { resolveTestSetDir } from "./test-images";

const CLASSES = 10;
/** Sample indices kept per class and set: enough for the widest grid the page asks for. */
export const MAX_SAMPLES_PER_CLASS = 30;

export class DatasetRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface SetStats {
  count: number;
  perClass: number[];
  /** Pixel-intensity histogram, 256 bins (0..255), over every pixel of the set. */
  histogram: number[];
  /** The first MAX_SAMPLES_PER_CLASS indices of each class, in file order. */
  samples: number[][];
}

export interface DatasetStats {
  data: FashionMnist;
  train: SetStats;
  test: SetStats;
  /** Per class (train set): mean and standard deviation of every pixel, 0..255. */
  mean: Float32Array[];
  std: Float32Array[];
  /** Largest per-pixel std over all classes: the std sprite is scaled by it. */
  maxStd: number;
}

function setStats(images: Uint8Array, labels: Uint8Array, count: number): SetStats {
  const perClass = new Array<number>(CLASSES).fill(0);
  const samples: number[][] = Array.from({ length: CLASSES }, () => []);
  const histogram = new Array<number>(256).fill(0);
  for (let i = 0; i < count; i++) {
    const c = labels[i];
    perClass[c]++;
    if (samples[c].length < MAX_SAMPLES_PER_CLASS) samples[c].push(i);
  }
  for (let p = 0; p < count * PIXELS; p++) histogram[images[p]]++;
  return { count, perClass, histogram, samples };
}

function compute(data: FashionMnist): DatasetStats {
  const { images, labels, count } = data.train;
  const sum = Array.from({ length: CLASSES }, () => new Float64Array(PIXELS));
  const sumSq = Array.from({ length: CLASSES }, () => new Float64Array(PIXELS));
  for (let i = 0; i < count; i++) {
    const s = sum[labels[i]];
    const q = sumSq[labels[i]];
    const off = i * PIXELS;
    for (let p = 0; p < PIXELS; p++) {
      const v = images[off + p];
      s[p] += v;
      q[p] += v * v;
    }
  }
  const train = setStats(images, labels, count);
  let maxStd = 0;
  const mean: Float32Array[] = [];
  const std: Float32Array[] = [];
  for (let c = 0; c < CLASSES; c++) {
    const n = Math.max(1, train.perClass[c]);
    const m = new Float32Array(PIXELS);
    const sd = new Float32Array(PIXELS);
    for (let p = 0; p < PIXELS; p++) {
      m[p] = sum[c][p] / n;
      sd[p] = Math.sqrt(Math.max(0, sumSq[c][p] / n - m[p] * m[p]));
      if (sd[p] > maxStd) maxStd = sd[p];
    }
    mean.push(m);
    std.push(sd);
  }
  return { data, train, test: setStats(data.test.images, data.test.labels, data.test.count), mean, std, maxStd };
}

// Parsed and summarised datasets by directory for the life of the process (the full dataset is
// 55 MB of pixels and takes about a second to read, check and summarise).
const holder = globalThis as { __fmnistDatasetStats?: Map<string, Promise<DatasetStats>> };
holder.__fmnistDatasetStats ??= new Map();
const cache = holder.__fmnistDatasetStats;

export function datasetStats(dir: string): Promise<DatasetStats> {
  let entry = cache.get(dir);
  if (!entry) {
    entry = Promise.resolve().then(() => compute(readDataset(dir)));
    cache.set(dir, entry);
    entry.catch(() => cache.delete(dir));
  }
  return entry;
}

export interface ResolvedDataset {
  dir: string;
  source: "full" | "fixture" | "run";
  run?: { id: string; name: string; validationSplit: number; maxTrainImages: number };
}

/** Which dataset a request means: `?run=<id>` (the one that run trained on), `?source=fixture`
 * (the shipped subset) or `?source=full` (default: the first place the full dataset is found). */
export async function resolveDataset(req: Request): Promise<ResolvedDataset> {
  const params = new URL(req.url).searchParams;
  const runId = params.get("run");
  const source = params.get("source") ?? (runId ? "run" : "full");
  if (runId) {
    const api = createCaller(createTRPCContext({ headers: req.headers }));
    let run: Awaited<ReturnType<typeof api.runs.byId>>;
    let recorded: Awaited<ReturnType<typeof api.runs.dataset>>;
    try {
      [run, recorded] = await Promise.all([api.runs.byId({ id: runId }), api.runs.dataset({ id: runId })]);
    } catch (e) {
      if (e instanceof TRPCError) throw new DatasetRequestError(getHTTPStatusCodeFromError(e), e.message);
      throw e;
    }
    const dir = resolveTestSetDir(recorded);
    if (!dir) throw new DatasetRequestError(404, `The dataset run ${runId} trained on is no longer found`);
    const config = (run.config ?? {}) as Record<string, unknown>;
    const num = (v: unknown, fallback: number) => (typeof v === "number" && Number.isFinite(v) ? v : fallback);
    return {
      dir,
      source: "run",
      run: { id: run.id, name: run.name, validationSplit: num(config.validationSplit, 0.2), maxTrainImages: num(config.maxTrainImages, 0) },
    };
  }
  if (source === "fixture") return { dir: FIXTURE_DIR, source: "fixture" };
  if (source === "full") {
    const found = candidateDirs().find((c) => hasAllFiles(c.dir));
    if (!found) throw new DatasetRequestError(404, "The full Fashion-MNIST dataset was not found here (set FASHION_MNIST_DIR or run a training once)");
    return { dir: found.dir, source: "full" };
  }
  throw new DatasetRequestError(400, `source must be "full" or "fixture" (or give ?run=<runId>), not ${JSON.stringify(source)}`);
}

/** The summary the dataset page draws (everything but pixels). */
export function summaryOf(stats: DatasetStats, resolved: ResolvedDataset) {
  const split = resolved.run ? runSplitCounts(stats.train.perClass, resolved.run.validationSplit, resolved.run.maxTrainImages) : null;
  return {
    source: resolved.source,
    dir: stats.data.dir,
    subset: stats.data.subset ?? null,
    checksum: stats.data.checksum,
    train: stats.train,
    test: stats.test,
    maxStd: stats.maxStd,
    run: resolved.run ? { ...resolved.run, split } : null,
  };
}
export type DatasetSummary = ReturnType<typeof summaryOf>;

export const datasetProblem = (status: number, message: string) => Response.json({ error: message }, { status });

export function datasetErrorResponse(e: unknown, what: string): Response {
  if (e instanceof DatasetRequestError) return datasetProblem(e.status, e.message);
  console.error(`${what} failed:`, e);
  return datasetProblem(500, `could not read the dataset: ${e instanceof Error ? e.message : String(e)}`);
}
