/**
 * `pnpm bench:sweep`: what early termination and the Bayesian method buy, on the shipped fixture
 * subset (2,000 / 500 real images).
 *
 * 1. ASHA: the same 24-trial random sweep twice, without and with ASHA, on 2 worker processes
 *    (`cli.ts worker`, as in production) sharing a temporary SQLite database: % of trials pruned,
 *    wall time (sweep created -> FINISHED) and the best trial's validation accuracy.
 * 2. TPE vs random on the same space and data (a cheaper trial: fewer epochs, trained in this process
 *    with fit(), no database): for each of 5 seeds, random's best validation accuracy over the budget
 *    and the trial at which random and TPE first reach it; medians printed. Trial k of a random
 *    sweep and TPE's startup trials have the same parameters (seeded per trial), so they are
 *    trained once and shared.
 *
 *   pnpm bench:sweep [--trials 24] [--epochs 9] [--images 500] [--workers 2] [--seeds 5] [--tpe-epochs 1] [--skip-asha] [--skip-tpe]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { selectBackend } from "@fmnist/backends";
import { FIXTURE_DIR, gather, readDataset, stratifiedSplit } from "@fmnist/data";
import { createDb } from "@fmnist/db/client";
import { migrate } from "@fmnist/db/migrate";
import { buildModel } from "@fmnist/model";
import { type Observation, proposeParams, type SweepDefinitionInput, sweepDefinitionSchema, trialConfig } from "@fmnist/sweep";
import { createSweep } from "@fmnist/sweep/advance";
import * as tf from "@tensorflow/tfjs";
import { fit } from "../src/fit";

const { values: opts } = parseArgs({
  options: {
    trials: { type: "string", default: "24" },
    epochs: { type: "string", default: "9" },
    images: { type: "string", default: "500" },
    workers: { type: "string", default: "2" },
    seeds: { type: "string", default: "5" },
    "tpe-epochs": { type: "string", default: "1" },
    "skip-asha": { type: "boolean", default: false },
    "skip-tpe": { type: "boolean", default: false },
  },
});
const TRIALS = Number(opts.trials);
const EPOCHS = Number(opts.epochs);
const IMAGES = Number(opts.images);
const WORKERS = Number(opts.workers);
const cli = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const load = () => loadavg().map((x) => x.toFixed(1)).join(" ");

/** The cheap problem: an MLP on the fixture subset; learning rate, dropout and batch size searched. */
const definition = (over: Partial<SweepDefinitionInput> = {}): SweepDefinitionInput => ({
  name: "bench",
  method: "random",
  trialBudget: TRIALS,
  maxConcurrent: WORKERS,
  seed: 1,
  base: { architecture: "mlp", epochs: EPOCHS, dataset: "fixture-subset", maxTrainImages: IMAGES, patience: 0, backend: "auto" },
  space: {
    learningRate: { type: "range", min: 1e-5, max: 0.3, scale: "log" },
    dropout: { type: "range", min: 0, max: 0.8 },
    batchSize: { type: "choice", values: [32, 64, 128] },
  },
  ...over,
});

async function runSweepOnWorkers(label: string, input: SweepDefinitionInput) {
  const dir = mkdtempSync(join(tmpdir(), "fmnist-sweep-bench-"));
  const url = `file:${join(dir, "bench.db")}`;
  await migrate(url, { log: () => {} });
  const db = createDb(url);
  const workers: ChildProcess[] = [];
  try {
    const started = Date.now();
    const sweep = await createSweep(db, sweepDefinitionSchema.parse(input));
    for (let i = 0; i < WORKERS; i++) {
      const child = spawn(process.execPath, ["--import", "tsx", cli, "worker", "--poll", "0.2", "--id", `bench-${i}`], {
        env: { ...process.env, DATABASE_URL: url, ARTIFACTS_DIR: join(dir, "artifacts") },
        stdio: "ignore",
      });
      workers.push(child);
    }
    for (;;) {
      const s = await db.sweep.findUniqueOrThrow({ where: { id: sweep.id } });
      if (s.status === "FINISHED") break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const wallMs = Date.now() - started;
    const trials = await db.run.findMany({ where: { sweepId: sweep.id }, select: { status: true, bestValAccuracy: true, epochsCompleted: true } });
    const pruned = trials.filter((t) => t.status === "PRUNED").length;
    const best = Math.max(...trials.filter((t) => t.status === "SUCCEEDED").map((t) => t.bestValAccuracy ?? 0));
    const epochs = trials.reduce((s, t) => s + t.epochsCompleted, 0);
    console.log(`${label}: ${trials.length} trials, ${pruned} pruned, ${epochs} epochs trained, wall ${(wallMs / 1000).toFixed(1)} s, best val accuracy ${(best * 100).toFixed(2)}% (load ${load()})`);
    return { wallMs, pruned, trials: trials.length, best };
  } finally {
    for (const w of workers) w.kill("SIGTERM");
    await Promise.all(workers.map((w) => new Promise((r) => (w.exitCode !== null ? r(null) : w.on("exit", r)))));
    await db.$disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function asha() {
  console.log(`\n== ASHA: ${TRIALS}-trial random sweep, mlp, ${EPOCHS} epochs, ${IMAGES} fixture images, ${WORKERS} workers ==`);
  const plain = await runSweepOnWorkers("without early termination", definition());
  const pruned = await runSweepOnWorkers("with ASHA (first rung 1 epoch, eta 3)", definition({ earlyTermination: { type: "asha", minResource: 1, reductionFactor: 3 } }));
  const share = pruned.pruned / pruned.trials;
  const ratio = pruned.wallMs / plain.wallMs;
  const gap = (plain.best - pruned.best) * 100;
  console.log(`pruned: ${(share * 100).toFixed(0)}% (target >= 40%) ${share >= 0.4 ? "PASS" : "FAIL"}`);
  console.log(`wall time with / without: ${ratio.toFixed(2)} (target <= 0.50) ${ratio <= 0.5 ? "PASS" : "FAIL"}`);
  console.log(`best trial gap: ${gap.toFixed(2)} points (target <= 1) ${gap <= 1 ? "PASS" : "FAIL"}`);
}

async function tpeVsRandom() {
  const tpeEpochs = Number(opts["tpe-epochs"]);
  const seeds = Number(opts.seeds);
  console.log(`\n== TPE vs random: ${TRIALS} trials each, mlp, ${tpeEpochs} epochs, ${IMAGES} fixture images, ${seeds} seeds (in-process fit) ==`);
  const backend = await selectBackend("auto");
  console.log(`backend: ${backend.backend}`);
  const data = readDataset(FIXTURE_DIR);
  const cache = new Map<string, number>();
  const objective = async (params: Record<string, unknown>): Promise<number> => {
    const config = trialConfig(sweepDefinitionSchema.parse(definition({ base: { ...definition().base, epochs: tpeEpochs } })), params as never, 0);
    const key = JSON.stringify(params);
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    // As train.ts prepares a run: the stratified subset of maxTrainImages, then the validation split.
    const keep = stratifiedSplit(data.train.labels, 1 - config.maxTrainImages / data.train.count, config.seed).train;
    const sub = gather(data.train.images, data.train.labels, keep);
    const split = stratifiedSplit(sub.labels, config.validationSplit, config.seed);
    const train = gather(sub.images, sub.labels, split.train);
    const validation = gather(sub.images, sub.labels, split.validation);
    const model = buildModel(config.architecture, { dropout: config.dropout, seed: config.seed });
    model.compile({ optimizer: tf.train.adam(config.learningRate), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
    try {
      const { epochs } = await fit(model, train, { epochs: config.epochs, batchSize: config.batchSize, seed: config.seed, validation });
      const best = Math.max(...epochs.map((e) => e.valAccuracy));
      cache.set(key, best);
      return best;
    } catch {
      cache.set(key, 0); // diverged (loss became NaN): the worst objective
      return 0;
    } finally {
      model.dispose();
    }
  };
  const firstReaching = (values: number[], target: number) => {
    const i = values.findIndex((v) => v >= target - 1e-9);
    return i === -1 ? Number.POSITIVE_INFINITY : i + 1;
  };
  const randomCounts: number[] = [];
  const tpeCounts: number[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const t0 = Date.now();
    const run = async (method: "random" | "tpe") => {
      const d = sweepDefinitionSchema.parse(definition({ method, seed, base: { ...definition().base, epochs: tpeEpochs } }));
      const obs: Observation[] = [];
      const values: number[] = [];
      for (let k = 0; k < TRIALS; k++) {
        const params = proposeParams(d, k, obs);
        const v = await objective(params);
        obs.push({ params, score: v });
        values.push(v);
      }
      return values;
    };
    const random = await run("random");
    const tpe = await run("tpe");
    const target = Math.max(...random);
    randomCounts.push(firstReaching(random, target));
    tpeCounts.push(firstReaching(tpe, target));
    console.log(
      `seed ${seed}: random best ${(target * 100).toFixed(2)}% at trial ${randomCounts.at(-1)}; TPE reaches it at trial ${tpeCounts.at(-1)} (TPE best ${(Math.max(...tpe) * 100).toFixed(2)}%) [${((Date.now() - t0) / 1000).toFixed(0)} s, load ${load()}]`,
    );
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const r = median(randomCounts);
  const t = median(tpeCounts);
  console.log(`median trials to reach random's best: random ${r}, TPE ${t} (target: TPE <= ${r / 2}) ${t <= r / 2 ? "PASS" : "FAIL"}`);
}

console.log(`load average at start: ${load()}`);
if (!opts["skip-asha"]) await asha();
if (!opts["skip-tpe"]) await tpeVsRandom();
