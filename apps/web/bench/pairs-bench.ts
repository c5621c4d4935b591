/**
 * pnpm bench:pairs --run <id> [--run <id> ...] [--per-class <n>]
 *
 * How models read shoes shown as pairs, as shops photograph them: the first n Fashion-MNIST test
 * images of each shoe class (and of Bag, for a class that is never a pair), each alone and made a
 * pair by the trainer's own pair augmentation (pairUp from @fmnist/model, seeded, so every run sees
 * the same pairs), through the exported model on the serving backend. Prints top-1 alone and as a
 * pair, and where the pairs went, for the runs side by side.
 */

import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { createCaller, createTRPCContext } from "@fmnist/api";
import { loadFashionMnist } from "@fmnist/data";
import { IMAGE_PIXELS } from "@fmnist/data/image";
import { seededRandom } from "@fmnist/data/split";
import { artifactsDir } from "@fmnist/db/config";
import { CLASS_NAMES_EN, pairUp } from "@fmnist/model";
import { loadPredictor } from "../src/serving/predictor";

const { values: args } = parseArgs({ options: { run: { type: "string", multiple: true }, "per-class": { type: "string", default: "300" } } });
if (!args.run?.length) throw new Error("name the runs to compare: --run <id> [--run <id> ...]");
const perClass = Number(args["per-class"]);
if (!Number.isInteger(perClass) || perClass < 1) throw new Error(`--per-class must be a positive integer, not ${args["per-class"]}`);
const CLASSES = [5, 7, 9, 8];
const api = createCaller(createTRPCContext());

const argmax = (p: Float32Array) => p.indexOf(Math.max(...p));
const pct = (n: number, d: number) => `${((100 * n) / d).toFixed(1).padStart(5)}%`;

async function main() {
  const { test } = await loadFashionMnist({ download: false });
  for (const id of args.run ?? []) {
    const run = await api.runs.byId({ id });
    const artifact = run.artifacts.find((a) => a.kind === "tfjs-layers-model");
    if (!artifact) throw new Error(`run ${run.id} has no exported tfjs model`);
    const predictor = await loadPredictor(resolve(artifactsDir(), artifact.path));
    console.log(`\nrun ${run.id} "${run.name}" (test accuracy ${run.testAccuracy === null ? "-" : (100 * run.testAccuracy).toFixed(2)}%)`);
    console.log("class          n   alone    pair   pairs predicted as");
    for (const c of CLASSES) {
      const random = seededRandom(1000 + c);
      const went = new Array<number>(10).fill(0);
      let [n, alone, pair] = [0, 0, 0];
      for (let i = 0; i < test.count && n < perClass; i++) {
        if (test.labels[i] !== c) continue;
        n++;
        // A copy (the loader may hand a Buffer, whose slice is a view): pairUp works in place.
        const img = new Uint8Array(test.images.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS));
        if (argmax(predictor.predict(Float32Array.from(img, (v) => v / 255), 1)) === c) alone++;
        pairUp(img, random);
        const k = argmax(predictor.predict(Float32Array.from(img, (v) => v / 255), 1));
        went[k]++;
        if (k === c) pair++;
      }
      const where = went.map((m, k) => [m, k]).filter(([m, k]) => m > 0 && k !== c).sort((a, b) => b[0] - a[0]);
      console.log(`${CLASS_NAMES_EN[c].padEnd(12)} ${String(n).padStart(4)}  ${pct(alone, n)}  ${pct(pair, n)}   ${where.map(([m, k]) => `${CLASS_NAMES_EN[k]} ${m}`).join(", ")}`);
    }
    predictor.dispose();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
