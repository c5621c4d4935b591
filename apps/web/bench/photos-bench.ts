/**
 * pnpm bench:photos [--run <id>] [--tta none|mirror|full] [--segment border|isnet|both|grabcut] [--isnet-side <px>] [--photos <dir>] [--json <file>] [--wrong]
 *
 * The labelled real photos of ../shared/real-photos through the same path as the prediction API's
 * photo endpoint (and so the classify page's preprocessing): sharp decodes (libjpeg-turbo, as
 * Chromium; EXIF orientation; long side <= 1024), preparePhoto -> preprocessPhoto from
 * @fmnist/model, then the exported model on the serving backend (native oneDNN where built).
 * Prints top-1 / top-3 per class, per kind of picture, for shoes and overall, and the confusion
 * matrix. The model is the one the classify page opens on: the first registered model's
 * @production version, else the best run by test accuracy; --run names another. --tta mirror
 * averages the input and its mirror, --tta full the input and the whole picture (view "full").
 */

import { readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createCaller, createTRPCContext } from "@fmnist/api";
import { IMAGE_PIXELS } from "@fmnist/data/image";
import { artifactsDir } from "@fmnist/db/config";
import { CLASS_NAMES_EN, type PhotoPreprocessOptions } from "@fmnist/model";
import { loadGrabCut } from "@fmnist/model/grabcut";
import { SALIENT_SIDE } from "@fmnist/model/salient";
import { loadSalientSegmenter } from "@fmnist/model/salient-node";
import sharp from "sharp";
import { DEFAULT_SEGMENTATION, SEGMENTATIONS, type Segmentation } from "../src/classify/protocol";
import { photoViews, preparePhoto } from "../src/serving/image";
import { loadPredictor } from "../src/serving/predictor";

const repoRoot = resolve(import.meta.dirname, "../../..");
const { values: args } = parseArgs({
  options: {
    run: { type: "string" },
    tta: { type: "string", default: "none" },
    photos: { type: "string", default: resolve(repoRoot, "../shared/real-photos") },
    json: { type: "string" },
    wrong: { type: "boolean", default: false },
    /** preprocessPhoto options as JSON, for measuring each step: '{"orientation":"none"}'. */
    pre: { type: "string", default: "{}" },
    /** Writes a PNG of every photo's 28x28 input (sprite, 17 per row) here. */
    sprite: { type: "string" },
    /** Segmentation: "border" (the border model alone), "grabcut" (that mask refined by GrabCut
     * from OpenCV's WebAssembly build where it misses the centre; with --pre
     * '{"grabCutAlways":true}' everywhere), "isnet" (IS-Net's salient-object mask,
     * @fmnist/model/salient) or "both" (the two views' probabilities averaged). The default is the
     * classify page's and the endpoint's. */
    segment: { type: "string", default: DEFAULT_SEGMENTATION },
    /** The side IS-Net sees the picture at (a multiple of 64); default the page's, SALIENT_SIDE. */
    "isnet-side": { type: "string", default: String(SALIENT_SIDE) },
  },
});
const preOptions = JSON.parse(args.pre) as PhotoPreprocessOptions;
if (!["none", "mirror", "full"].includes(args.tta)) throw new Error(`--tta must be none, mirror or full, not ${args.tta}`);

const isnetSide = Number(args["isnet-side"]);
const loadIsNet = () => loadSalientSegmenter({ side: isnetSide });
const SHOES = new Set([5, 7, 9]);
const api = createCaller(createTRPCContext());

/** The run the classify page opens on without ?run or ?model. */
async function defaultRun(): Promise<{ id: string; why: string }> {
  const registry = await api.registry.list();
  for (const m of registry) {
    const v = m.versions.find((x) => x.aliases.includes("production"));
    if (v) return { id: v.run.id, why: `${m.name}@production (v${v.version})` };
  }
  const runs = await api.runs.models();
  if (!runs[0]) throw new Error("no run has an exported model: train one (pnpm train) or pass --run <id>");
  return { id: runs[0].id, why: "best run by test accuracy (no @production alias)" };
}

interface Row {
  file: string;
  label: number;
  kind: string;
}

function readLabels(dir: string): Row[] {
  const lines = readFileSync(join(dir, "labels.csv"), "utf8").trim().split("\n");
  const head = lines[0].split(",");
  const col = (name: string) => {
    const i = head.indexOf(name);
    if (i < 0) throw new Error(`labels.csv has no ${name} column`);
    return i;
  };
  const [f, l, k] = [col("file"), col("label"), col("kind")];
  return lines.slice(1).map((line) => {
    const cells = line.split(",");
    return { file: cells[f], label: Number(cells[l]), kind: cells[k] };
  });
}

function mirrored(input: Float32Array): Float32Array {
  const out = new Float32Array(IMAGE_PIXELS);
  for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) out[y * 28 + x] = input[y * 28 + 27 - x];
  return out;
}

const pct = (n: number, d: number) => (d === 0 ? "   -  " : `${((100 * n) / d).toFixed(1).padStart(5)}%`);

async function main() {
  const chosen = args.run ? { id: args.run, why: "--run" } : await defaultRun();
  const run = await api.runs.byId({ id: chosen.id });
  const artifact = run.artifacts.find((a) => a.kind === "tfjs-layers-model");
  if (!artifact) throw new Error(`run ${run.id} has no exported tfjs model`);
  const predictor = await loadPredictor(resolve(artifactsDir(), artifact.path));
  const { servingBackend } = await import("../src/serving/backend");
  const backend = await servingBackend();
  const rows = readLabels(args.photos);
  console.log(`model: run ${run.id} "${run.name}" (${run.architecture}, test accuracy ${run.testAccuracy === null ? "-" : (100 * run.testAccuracy).toFixed(2)}%), ${chosen.why}`);
  console.log(`backend: ${backend.note}; decode: sharp (server path); tta: ${args.tta}; preprocessing options ${args.pre}; photos: ${rows.length}; load ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);

  const confusion = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
  const top3 = new Array<number>(10).fill(0);
  const byKind = new Map<string, { n: number; top1: number; top3: number }>();
  const results: { file: string; label: number; kind: string; predicted: number; p: number; probs: number[]; top3: number[]; box: { width: number; height: number }; width: number; height: number; coverage: number; inverted: boolean }[] = [];
  const inputs: Float32Array[] = [];
  if (!["grabcut", ...SEGMENTATIONS].includes(args.segment)) throw new Error(`--segment must be ${SEGMENTATIONS.join(", ")} or grabcut, not ${args.segment}`);
  if (args.segment === "grabcut") preOptions.grabCut = await loadGrabCut();
  if (args.segment === "both" && args.tta !== "none") throw new Error("--segment both is itself two views: use it with --tta none");
  let preMs = 0;
  const t0 = performance.now();
  for (const row of rows) {
    const tp = performance.now();
    // As the endpoint: one view, or for --segment both the border model's and IS-Net's.
    const { views, note } = await photoViews(new Uint8Array(readFileSync(join(args.photos, row.file))), row.file, args.segment === "grabcut" ? "border" : (args.segment as Segmentation), preOptions, loadIsNet);
    // A measurement with IS-Net ("isnet" or "both") must not quietly become one of the border model alone.
    if (note) throw new Error(note);
    const pre = views[0];
    preMs += performance.now() - tp;
    inputs.push(pre.input);
    // Two views averaged: IS-Net's, the picture's mirror, or the whole picture beside the item.
    const second =
      views.length > 1
        ? views[1].input
        : args.tta === "mirror"
          ? mirrored(pre.input)
          : args.tta === "full"
            ? (await preparePhoto(new Uint8Array(readFileSync(join(args.photos, row.file))), row.file, { ...preOptions, view: "full", orientation: pre.mirrored ? "mirrored" : "none" })).input
            : null;
    const input = second ? Float32Array.from([...pre.input, ...second]) : pre.input;
    const out = predictor.predict(input, second ? 2 : 1);
    const probs = Array.from({ length: 10 }, (_, c) => (second ? (out[c] + out[10 + c]) / 2 : out[c]));
    const order = probs.map((p, c) => [p, c] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    const predicted = order[0][1];
    const inTop3 = order.slice(0, 3).some(([, c]) => c === row.label);
    confusion[row.label][predicted]++;
    if (inTop3) top3[row.label]++;
    const k = byKind.get(row.kind) ?? { n: 0, top1: 0, top3: 0 };
    k.n++;
    if (predicted === row.label) k.top1++;
    if (inTop3) k.top3++;
    byKind.set(row.kind, k);
    results.push({ file: row.file, label: row.label, kind: row.kind, predicted, p: order[0][0], probs, top3: order.slice(0, 3).map(([, c]) => c), box: pre.box, width: pre.width, height: pre.height, coverage: pre.coverage, inverted: pre.inverted });
  }
  const seconds = (performance.now() - t0) / 1000;

  const count = (label: number) => confusion[label].reduce((a, b) => a + b, 0);
  console.log(`\n${"class".padEnd(12)}   n   top-1    top-3`);
  for (let c = 0; c < 10; c++) console.log(`${CLASS_NAMES_EN[c].padEnd(12)} ${String(count(c)).padStart(3)}  ${pct(confusion[c][c], count(c))}  ${pct(top3[c], count(c))}`);
  console.log(`\n${"kind".padEnd(12)}   n   top-1    top-3`);
  for (const [kind, k] of [...byKind].sort()) console.log(`${kind.padEnd(12)} ${String(k.n).padStart(3)}  ${pct(k.top1, k.n)}  ${pct(k.top3, k.n)}`);
  const sum = (pick: (c: number) => number, cls: number[]) => cls.reduce((a, c) => a + pick(c), 0);
  const all = [...Array(10).keys()];
  const shoes = all.filter((c) => SHOES.has(c));
  const line = (name: string, cls: number[]) => {
    const n = sum(count, cls);
    const t1 = sum((c) => confusion[c][c], cls);
    const t3 = sum((c) => top3[c], cls);
    console.log(`${name.padEnd(12)} ${String(n).padStart(3)}  ${pct(t1, n)}  ${pct(t3, n)}   (${t1}/${n} top-1, ${t3}/${n} top-3)`);
  };
  console.log("");
  line("shoes", shoes);
  line("overall", all);
  console.log(`\nconfusion (rows true, columns predicted): ${all.map((c) => String(c).padStart(3)).join("")}`);
  for (let c = 0; c < 10; c++) console.log(`  ${c} ${CLASS_NAMES_EN[c].padEnd(12)}${" ".repeat(27)}${confusion[c].map((x) => String(x).padStart(3)).join("")}`);
  console.log(`\n${rows.length} photos in ${seconds.toFixed(1)} s; decode + preprocessing ${(preMs / rows.length).toFixed(1)} ms a photo (segmentation: ${args.segment}${args.segment === "border" || args.segment === "grabcut" ? "" : `, IS-Net at ${isnetSide}x${isnetSide}`})`);
  if (args.wrong) {
    for (const r of results) if (r.predicted !== r.label) console.log(`  wrong: ${r.file} (${r.kind}) -> ${CLASS_NAMES_EN[r.predicted]} ${(100 * r.p).toFixed(0)}%`);
  }
  if (args.json) writeFileSync(args.json, JSON.stringify({ run: run.id, tta: args.tta, confusion, top3, results }, null, 1));
  if (args.sprite) {
    const cols = 17;
    const rowsN = Math.ceil(inputs.length / cols);
    const px = new Uint8Array(cols * 28 * rowsN * 28);
    inputs.forEach((input, k) => {
      for (let y = 0; y < 28; y++)
        for (let x = 0; x < 28; x++) px[(Math.floor(k / cols) * 28 + y) * cols * 28 + (k % cols) * 28 + x] = Math.round(input[y * 28 + x] * 255);
    });
    await sharp(px, { raw: { width: cols * 28, height: rowsN * 28, channels: 1 } }).png().toFile(args.sprite);
  }
  predictor.dispose();
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  },
);
