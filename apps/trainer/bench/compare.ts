/**
 * `pnpm bench:compare`: training and inference speed of the reference CNN and of seed-notebook-cnn-bn
 * (the built-in architecture with the best accuracy for the time on a CPU: 95.12% in 37 minutes) on
 * our CPU path against PyTorch on the same machine, in the same run, on the same data, with the
 * same architecture, batch size and optimiser.
 *
 *   pnpm bench:compare [--backend auto|native|wasm|cpu] [--batches 300] [--warmup 300] [--runs 3]
 *                      [--threads N] [--fixed-threads] [--epoch] [--no-torch] [--torch-threads 2,1] [--json out.json]
 *                      [--max-runs 12] [--quiet-load 0.2] [--keep-busy] [--architectures reference-cnn,seed-notebook-cnn-bn]
 *
 * Architectures after the first run fewer batches, in proportion to their FLOPs per image (the
 * same time per run, at least 30 batches).
 *
 * Our side trains exactly as the trainer does (buildModel + compile(adam, categoricalCrossentropy,
 * accuracy) + trainOnBatch on batches from makeBatch, loss and accuracy read back every batch).
 * The PyTorch side (compare_torch.py, Debian's python3-torch under /usr/bin/python3) trains the
 * same architecture with the same batch size, Adam settings, Glorot-uniform init and dropout, and
 * also reads loss and accuracy back every batch. Each run measures ours, then PyTorch on 2 threads,
 * then on 1 thread (interleaved, so a busy machine hurts both sides alike); the summary gives the
 * median over runs. Runs during which other processes used more than --quiet-load cores are shown
 * but not counted (a busy neighbour stalls every multi-threaded region, PyTorch's and ours alike);
 * more runs are made until --runs quiet ones or --max-runs (default 4x --runs). `--epoch` also
 * trains one full epoch from a fresh model on both sides and compares test accuracy.
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { IMAGE_PIXELS, loadFashionMnist, seededRandom, shuffleInPlace } from "@fmnist/data";
import { ARCHITECTURE_INFO, type ArchitectureName, buildModel, trainConfigSchema } from "@fmnist/model";
import * as tf from "@tensorflow/tfjs";
import { makeBatch, predictProbabilities } from "../src/batches";

const here = dirname(fileURLToPath(import.meta.url));
const { values: opts } = parseArgs({
  options: {
    backend: { type: "string", default: "auto" },
    batches: { type: "string", default: "300" },
    warmup: { type: "string", default: "300" },
    runs: { type: "string", default: "3" },
    threads: { type: "string" },
    "fixed-threads": { type: "boolean", default: false },
    "max-runs": { type: "string" },
    "quiet-load": { type: "string", default: "0.2" },
    "keep-busy": { type: "boolean", default: false },
    "torch-threads": { type: "string", default: "2,1" },
    epoch: { type: "boolean", default: false },
    "no-torch": { type: "boolean", default: false },
    dropout: { type: "string" },
    architectures: { type: "string", default: "reference-cnn,seed-notebook-cnn-bn" },
    "infer-images": { type: "string", default: "10000" },
    json: { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (opts.help) {
  console.log(
    "pnpm bench:compare [--backend auto|native|wasm|cpu] [--batches 300] [--warmup 300] [--runs 3] [--threads N] [--fixed-threads]\n" +
      "                   [--torch-threads 2,1] [--epoch] [--no-torch] [--dropout 0.4] [--json out.json]\n" +
      "                   [--architectures reference-cnn,seed-notebook-cnn-bn,resnet-small,reference-cnn-bn]\n" +
        "                   [--max-runs 12] [--quiet-load 0.2] [--keep-busy]",
  );
  process.exit(0);
}

const BATCH = 64;
const batches = Number(opts.batches);
const warmup = Number(opts.warmup);
const runs = Number(opts.runs);
const inferImages = Number(opts["infer-images"]);
const defaults = trainConfigSchema.parse({ name: "bench" });
const dropout = opts.dropout !== undefined ? Number(opts.dropout) : defaults.dropout;
const seed = defaults.seed;
const torchThreads = opts["torch-threads"].split(",").map(Number).filter((n) => n > 0);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

// ---------------------------------------------------------------------------------------------
// Our backend

async function useBackend(pref: string): Promise<{ backend: string; note: string }> {
  const threads = opts.threads ? Number(opts.threads) : undefined;
  if (pref === "native" || pref === "auto") {
    let reason: string;
    try {
      const { registerNativeBackend } = await import("@fmnist/backends/native");
      const r = await registerNativeBackend({ threads, adaptiveThreads: opts["fixed-threads"] ? false : undefined });
      if (r.ok && (await tf.setBackend("native"))) {
        await tf.ready();
        return { backend: "native", note: `${r.info}; oneDNN convolutions/GEMM + C++ kernels on tfjs's cpu backend` };
      }
      reason = r.ok ? "tf.setBackend('native') failed" : r.reason;
    } catch (e) {
      reason = `@fmnist/backends is not installed (${(e as Error).message.split("\n")[0]})`;
    }
    if (pref === "native") throw new Error(`backend "native" is not available: ${reason}`);
    console.log(`native backend not available: ${reason}`);
  }
  const { selectBackend } = await import("@fmnist/backends");
  const sel = await selectBackend(pref as "auto" | "wasm" | "cpu");
  return { backend: sel.backend, note: sel.note };
}

const architectures = opts.architectures.split(",").filter(Boolean) as ArchitectureName[];
for (const a of architectures) if (!ARCHITECTURE_INFO[a]) throw new Error(`unknown architecture "${a}"; known: ${Object.keys(ARCHITECTURE_INFO).join(", ")}`);

/** --dropout applies to the reference CNN (the trainer's default); the other architectures keep
 * their builder's rate, which PyTorch is given too. */
function compiledModel(modelSeed: number, architecture: ArchitectureName = "reference-cnn") {
  const model = buildModel(architecture, { seed: modelSeed, ...(architecture === "reference-cnn" ? { dropout } : {}) });
  model.compile({ optimizer: tf.train.adam(defaults.learningRate), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  return model;
}

// ---------------------------------------------------------------------------------------------
// PyTorch child process

class Torch {
  private lines: string[] = [];
  private waiting: { resolve: (line: string) => void; reject: (e: Error) => void } | undefined;
  private exited: Error | undefined;
  info: { torch: string } | undefined;
  constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.once("exit", (code) => {
      this.exited = new Error(`compare_torch.py exited (${code})`);
      this.waiting?.reject(this.exited);
      this.waiting = undefined;
    });
    let buf = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      buf += chunk;
      let i = buf.indexOf("\n");
      while (i >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (this.waiting) {
          const w = this.waiting;
          this.waiting = undefined;
          w.resolve(line);
        } else this.lines.push(line);
        i = buf.indexOf("\n");
      }
    });
    child.stderr.on("data", (d) => process.stderr.write(`[torch] ${d}`));
  }
  private next(): Promise<string> {
    const l = this.lines.shift();
    if (l !== undefined) return Promise.resolve(l);
    if (this.exited) return Promise.reject(this.exited);
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }
  async ready() {
    this.info = JSON.parse(await this.next());
  }
  async call<T = Record<string, number>>(cmd: Record<string, unknown>): Promise<T> {
    this.child.stdin.write(`${JSON.stringify(cmd)}\n`);
    const r = JSON.parse(await this.next());
    if (!r.ok) throw new Error(`PyTorch: ${r.error}`);
    return r as T;
  }
  get pid(): number | undefined {
    return this.child.pid;
  }
  close() {
    this.child.stdin.write(`${JSON.stringify({ cmd: "quit" })}\n`);
    this.child.stdin.end();
  }
}

// ---------------------------------------------------------------------------------------------
// How busy the rest of the machine was: /proc/stat's busy time minus this process and the PyTorch
// child (Linux only; undefined elsewhere).

const CLK_TCK = (() => {
  const r = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
  const n = Number(r.stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

interface CpuSample {
  wall: number;
  busy: number;
  self: number;
  child: number;
}

function cpuSample(childPid?: number): CpuSample | undefined {
  try {
    const v = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    const busy = (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / CLK_TCK;
    const u = process.cpuUsage();
    let child = 0;
    if (childPid) {
      const f = readFileSync(`/proc/${childPid}/stat`, "utf8");
      const fields = f.slice(f.lastIndexOf(")") + 2).split(" ");
      child = (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime, stime
    }
    return { wall: performance.now() / 1000, busy, self: (u.user + u.system) / 1e6, child };
  } catch {
    return undefined;
  }
}

function otherLoad(a?: CpuSample, b?: CpuSample): number | undefined {
  if (!a || !b) return undefined;
  const other = b.busy - a.busy - (b.self - a.self) - (b.child - a.child);
  return Math.max(0, other / (b.wall - a.wall));
}

function torchAvailable(python: string): string | undefined {
  const r = spawnSync(python, ["-c", "import torch, numpy; print(torch.__version__)"], { encoding: "utf8" });
  return r.status === 0 ? undefined : (r.stderr || r.error?.message || "import torch failed").trim().split("\n").pop();
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const sel = await useBackend(opts.backend);
  const data = await loadFashionMnist({ progress: true });
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  console.log(`machine: ${cpu}, ${availableParallelism()} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  console.log(`ours: tfjs ${tf.version.tfjs}, backend ${sel.backend} (${sel.note})`);
  console.log(`data: ${data.train.count} train / ${data.test.count} test images from ${data.dir}`);
  console.log(`models: ${architectures.join(", ")}; batch ${BATCH}, Adam lr ${defaults.learningRate}; ${batches} timed batches after ${warmup} warm-up (reference-cnn), ${runs} run(s)`);

  // PyTorch
  let torch: Torch | undefined;
  let dataDir: string | undefined;
  const python = process.env.PYTHON || "/usr/bin/python3";
  if (!opts["no-torch"]) {
    const missing = torchAvailable(python);
    if (missing) {
      console.log(`PyTorch: not available with ${python} (${missing}); apt-get install -y python3-torch. Measuring ours only.`);
    } else {
      dataDir = mkdtempSync(join(tmpdir(), "fmnist-compare-"));
      writeFileSync(join(dataDir, "train-images.u8"), data.train.images);
      writeFileSync(join(dataDir, "train-labels.u8"), data.train.labels);
      writeFileSync(join(dataDir, "test-images.u8"), data.test.images);
      writeFileSync(join(dataDir, "test-labels.u8"), data.test.labels);
      writeFileSync(join(dataDir, "meta.json"), JSON.stringify({ train: data.train.count, test: data.test.count }));
      const child = spawn(python, [join(here, "compare_torch.py"), "--serve", "--data", dataDir, "--seed", String(seed), "--dropout", String(dropout)], {
        stdio: ["pipe", "pipe", "pipe"],
      });
      torch = new Torch(child);
      await torch.ready();
      console.log(`PyTorch: ${torch.info?.torch} (${python}), threads ${torchThreads.join(" and ")}`);
    }
  }

  try {
    const n = data.train.count;
    const summaries: Record<string, unknown>[] = [];
    for (const architecture of architectures) summaries.push(await benchArchitecture(architecture));
    const summary: Record<string, unknown> = { ...summaries[0], architectures: summaries };
    console.log("");
    for (const sm of summaries) {
      const r = sm.ratio as number | undefined;
      const goal = sm.architecture === "reference-cnn" ? 2.0 : 1.5;
      console.log(
        `${String(sm.architecture).padEnd(18)} ours ${fmt((sm.ours as { trainImgsPerSec: number }).trainImgsPerSec).padStart(6)} img/s train` +
          (r !== undefined ? `, ratio vs PyTorch ${r.toFixed(2)}x (goal >= ${goal.toFixed(1)}x: ${r >= goal ? "met" : "NOT met"})` : "") +
          (sm.ratioPerCpuSecond !== undefined ? `, per CPU-second ${(sm.ratioPerCpuSecond as number).toFixed(2)}x` : ""),
      );
    }

    async function benchArchitecture(architecture: ArchitectureName): Promise<Record<string, unknown>> {
      // Ours: warm-up, then timed runs interleaved with PyTorch's.
      const scale = Math.min(1, ARCHITECTURE_INFO["reference-cnn"].flops / ARCHITECTURE_INFO[architecture].flops);
      const batches = Math.max(Math.min(30, Number(opts.batches)), Math.round(Number(opts.batches) * scale));
      const warmup = Math.round(Number(opts.warmup) * scale);
      const model = compiledModel(seed, architecture);
      // The head's dropout (the last one): PyTorch's twin takes it as its `dropout`.
      const rate = ([...model.layers].reverse().find((l) => l.getClassName() === "Dropout")?.getConfig().rate as number | undefined) ?? 0;
      const arch = { architecture, dropout: rate };
      console.log(`\n${architecture}: ${ARCHITECTURE_INFO[architecture].params.toLocaleString("en-US")} parameters, dropout ${rate}; ${batches} timed batches after ${warmup} warm-up`);
      let cursor = 0;
      const trainBatches = async (count: number) => {
        let loss = 0;
        let acc = 0;
        for (let b = 0; b < count; b++) {
          if (cursor + BATCH > n) cursor = 0;
          const { xs, ys } = makeBatch(data.train.images, data.train.labels, cursor, cursor + BATCH);
          cursor += BATCH;
          [loss, acc] = (await model.trainOnBatch(xs, ys)) as number[];
          xs.dispose();
          ys.dispose();
        }
        return { loss, acc };
      };
      const timeOurs = async () => {
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        const r = await trainBatches(batches);
        const secs = (performance.now() - t0) / 1000;
        const c = process.cpuUsage(c0);
        return { imgsPerSec: (batches * BATCH) / secs, cpuSeconds: (c.user + c.system) / 1e6, seconds: secs, ...r };
      };
      const inferOurs = async () => {
        const count = Math.min(inferImages, data.test.count);
        const images = data.test.images.subarray(0, count * IMAGE_PIXELS);
        const labels = data.test.labels.subarray(0, count);
        await predictProbabilities(model, images.subarray(0, 500 * IMAGE_PIXELS), labels.subarray(0, 500)); // warm-up
        const t0 = performance.now();
        await predictProbabilities(model, images, labels);
        return { imgsPerSec: count / ((performance.now() - t0) / 1000) };
      };

      process.stdout.write("warming up...");
      await trainBatches(Math.max(1, warmup));
      const tensorsBefore = tf.memory().numTensors;
      for (const t of torch ? torchThreads : []) await torch?.call({ cmd: "train", threads: t, batches: 0, warmup, ...arch });
      console.log(" done");

      type Row = {
        ours: number;
        oursCpu: number;
        oursInfer: number;
        torch: Record<number, number>;
        torchInfer: Record<number, number>;
        /** Cores each PyTorch run kept busy (CPU seconds / wall seconds). */
        torchCpu: Record<number, number>;
        /** Cores used by other processes during the run (undefined where /proc is missing). */
        otherLoad?: number;
        quiet: boolean;
      };
      const all: Row[] = [];
      // A run counts when other processes used less than `quietLoad` cores during it: on a shared
      // machine a busy neighbour stalls every multi-threaded region (PyTorch's and ours alike), so
      // busy runs are reported but not used, and more runs are made, up to --max-runs.
      const maxRuns = Math.max(runs, Number(opts["max-runs"] ?? runs * 4));
      const quietLoad = Number(opts["quiet-load"]);
      for (let r = 0; r < maxRuns && all.filter((x) => x.quiet).length < runs; r++) {
        const before = cpuSample(torch?.pid);
        const ours = await timeOurs();
        const oursInfer = await inferOurs();
        const row: Row = { ours: ours.imgsPerSec, oursCpu: ours.cpuSeconds / ours.seconds, oursInfer: oursInfer.imgsPerSec, torch: {}, torchInfer: {}, torchCpu: {}, quiet: true };
        for (const t of torch ? torchThreads : []) {
          const tr = await torch!.call({ cmd: "train", threads: t, batches, ...arch });
          const ti = await torch!.call({ cmd: "infer", threads: t, images: inferImages, ...arch });
          row.torch[t] = tr.imgsPerSec;
          row.torchCpu[t] = tr.cpuSeconds / tr.seconds;
          row.torchInfer[t] = ti.imgsPerSec;
        }
        row.otherLoad = otherLoad(before, cpuSample(torch?.pid));
        row.quiet = row.otherLoad === undefined || row.otherLoad < quietLoad || opts["keep-busy"] === true;
        all.push(row);
        const parts = [`run ${r + 1}: ours ${fmt(row.ours)} img/s train (${row.oursCpu.toFixed(2)} cores busy), ${fmt(row.oursInfer)} img/s inference`];
        for (const t of Object.keys(row.torch).map(Number)) {
          parts.push(`PyTorch ${t}T ${fmt(row.torch[t])} train (${row.torchCpu[t].toFixed(2)} cores busy) / ${fmt(row.torchInfer[t])} infer`);
        }
        if (row.torch[2] ?? row.torch[torchThreads[0]]) parts.push(`ratio ${(row.ours / (row.torch[2] ?? row.torch[torchThreads[0]])).toFixed(2)}`);
        if (row.otherLoad !== undefined) parts.push(`other processes ${row.otherLoad.toFixed(2)} cores${row.quiet ? "" : " (busy: not counted)"}`);
        console.log(parts.join("; "));
      }
      const quietRows = all.filter((x) => x.quiet);
      const rows = quietRows.length > 0 ? quietRows : all;
      if (quietRows.length < runs) {
        console.log(
          `warning: only ${quietRows.length} of ${all.length} runs had the machine to themselves (other processes < ${quietLoad} cores); ` +
            `${quietRows.length ? "the summary uses those" : "the summary uses all runs"}. Numbers from a busy machine understate multi-threaded speeds.`,
        );
      }
      const tensorsAfter = tf.memory().numTensors;

      const summary: Record<string, unknown> = {
        architecture,
        backend: sel.backend,
        note: sel.note,
        batches,
        warmup,
        runs,
        countedRuns: rows.length,
        allRuns: all.length,
        ours: { trainImgsPerSec: median(rows.map((r) => r.ours)), inferImgsPerSec: median(rows.map((r) => r.oursInfer)), coresBusy: median(rows.map((r) => r.oursCpu)) },
        torch: Object.fromEntries(
          (torch ? torchThreads : []).map((t) => [t, { trainImgsPerSec: median(rows.map((r) => r.torch[t])), inferImgsPerSec: median(rows.map((r) => r.torchInfer[t])) }]),
        ),
        runsDetail: all,
        tensorsLeaked: tensorsAfter - tensorsBefore,
        loadAverage: loadavg(),
      };
      const o = summary.ours as { trainImgsPerSec: number; inferImgsPerSec: number; coresBusy: number };
      console.log("");
      console.log(`${architecture}: median of ${rows.length} run(s), ${batches} batches of ${BATCH} each:`);
      console.log(`  ours (${sel.backend})      train ${fmt(o.trainImgsPerSec).padStart(7)} img/s   inference ${fmt(o.inferImgsPerSec).padStart(7)} img/s   (${o.coresBusy.toFixed(2)} cores busy)`);
      const tt = summary.torch as Record<number, { trainImgsPerSec: number; inferImgsPerSec: number }>;
      for (const t of Object.keys(tt).map(Number)) {
        console.log(`  PyTorch ${t} thread(s)  train ${fmt(tt[t].trainImgsPerSec).padStart(7)} img/s   inference ${fmt(tt[t].inferImgsPerSec).padStart(7)} img/s`);
      }
      // On a shared machine both sides get only part of a core: training images per CPU-second
      // compares the work each does per image, whatever share of the machine it got.
      const tRef = tt[2] ? 2 : torchThreads[0];
      if (torch && rows.every((r) => r.torchCpu[tRef] > 0 && r.oursCpu > 0)) {
        summary.ratioPerCpuSecond = median(rows.map((r) => r.ours / r.oursCpu / (r.torch[tRef] / r.torchCpu[tRef])));
        console.log(
          `  per CPU-second: ours ${fmt(median(rows.map((r) => r.ours / r.oursCpu)))} img/s, PyTorch(${tRef}T) ${fmt(median(rows.map((r) => r.torch[tRef] / r.torchCpu[tRef])))} img/s: ${(summary.ratioPerCpuSecond as number).toFixed(2)}x`,
        );
      }
      const ref = tt[2] ?? tt[torchThreads[0]];
      if (ref) {
        const ratios = rows.map((r) => r.ours / (r.torch[2] ?? r.torch[torchThreads[0]]));
        summary.ratio = median(ratios);
        summary.inferRatio = o.inferImgsPerSec / ref.inferImgsPerSec;
        console.log(
          `  ratio ours / PyTorch(${tt[2] ? 2 : torchThreads[0]} threads): training ${(summary.ratio as number).toFixed(2)}x (median of per-run ratios), inference ${(summary.inferRatio as number).toFixed(2)}x`,
        );
      }
      if (sel.backend === "native") {
        const { nativeThreadInfo } = await import("@fmnist/backends/native");
        const ti = nativeThreadInfo();
        if (ti) {
          summary.threads = ti;
          console.log(
            `  native threads: ${ti.current} of ${ti.max} at the end (${ti.adaptive ? `adaptive, ${ti.switches} switch(es); other processes used ${ti.otherLoad.toFixed(2)} cores in the last window` : "fixed"})`,
          );
        }
      }
      console.log(`  tensors after the runs: ${tensorsAfter - tensorsBefore >= 0 ? "+" : ""}${tensorsAfter - tensorsBefore} (flat = no leak); load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
      model.dispose();
      return summary;
    }

    if (opts.epoch) {
      console.log("\none epoch from a fresh model (seeded shuffle), then test accuracy:");
      const m = compiledModel(seed + 1);
      const order = shuffleInPlace(Int32Array.from({ length: n }, (_, i) => i), seededRandom(seed));
      let lossSum = 0;
      let accSum = 0;
      const t0 = performance.now();
      for (let s = 0; s < n; s += BATCH) {
        const e = Math.min(n, s + BATCH);
        const { xs, ys } = makeBatch(data.train.images, data.train.labels, s, e, order);
        const [loss, acc] = (await m.trainOnBatch(xs, ys)) as number[];
        xs.dispose();
        ys.dispose();
        lossSum += loss * (e - s);
        accSum += acc * (e - s);
      }
      const secs = (performance.now() - t0) / 1000;
      const probs = await predictProbabilities(m, data.test.images, data.test.labels);
      let right = 0;
      for (let i = 0; i < data.test.count; i++) {
        let best = 0;
        for (let c = 1; c < 10; c++) if (probs[i * 10 + c] > probs[i * 10 + best]) best = c;
        if (best === data.test.labels[i]) right++;
      }
      const oursEpoch = { trainLoss: lossSum / n, trainAccuracy: accSum / n, testAccuracy: right / data.test.count, seconds: secs, imgsPerSec: n / secs };
      m.dispose();
      console.log(
        `  ours     loss ${oursEpoch.trainLoss.toFixed(4)}, train acc ${(oursEpoch.trainAccuracy * 100).toFixed(2)}%, test acc ${(oursEpoch.testAccuracy * 100).toFixed(2)}%, ${secs.toFixed(1)} s (${fmt(oursEpoch.imgsPerSec)} img/s)`,
      );
      summary.epoch = { ours: oursEpoch };
      if (torch) {
        const te = await torch.call({ cmd: "epoch", threads: torchThreads[0], seed });
        (summary.epoch as Record<string, unknown>).torch = te;
        console.log(
          `  PyTorch  loss ${te.trainLoss.toFixed(4)}, train acc ${(te.trainAccuracy * 100).toFixed(2)}%, test acc ${(te.testAccuracy * 100).toFixed(2)}%, ${te.seconds.toFixed(1)} s (${fmt(te.imgsPerSec)} img/s)`,
        );
        console.log(`  test accuracy difference: ${((oursEpoch.testAccuracy - te.testAccuracy) * 100).toFixed(2)} points (one epoch, different random streams: expect about +-1)`);
      }
    }
    if (opts.json) writeFileSync(opts.json, `${JSON.stringify(summary, null, 2)}\n`);
  } finally {
    torch?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
