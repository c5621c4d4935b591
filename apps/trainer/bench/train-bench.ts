/**
 * Training / inference throughput of the reference CNN on one tfjs backend (default wasm, with the
 * gradient kernels from @fmnist/backends/wasm). `pnpm bench` runs it once per backend.
 *
 *   npx tsx bench/train-bench.ts [--backend wasm] [--batches 40] [--warmup 5] [--profile 3] [--no-kernels]
 *
 * --no-kernels: wasm without registerWasmGradientKernels() (stock tfjs 4.22; training convolutions then fails).
 *
 * Prints training img/s (wall clock and process CPU time: on a shared machine the wall clock includes
 * waiting for a core), inference img/s (predict, batch 256), a per-kernel profile of trainOnBatch
 * (tf.profile; the composite kernels of wasm-gradients show up as one entry each) and peak RSS.
 */
import { parseArgs } from "node:util";
import { type BackendPreference, selectBackend } from "@fmnist/backends";
import { buildModel } from "@fmnist/model";
import * as tf from "@tensorflow/tfjs";

const { values: opts } = parseArgs({
  options: {
    batches: { type: "string", default: "40" },
    warmup: { type: "string", default: "5" },
    profile: { type: "string", default: "3" },
    "predict-batches": { type: "string", default: "10" },
    "no-kernels": { type: "boolean", default: false },
    backend: { type: "string", default: "wasm" },
    json: { type: "boolean", default: false },
  },
});
const BATCH = 64;
const PREDICT_BATCH = 256;
const nBatches = Number(opts.batches);
const nWarmup = Number(opts.warmup);
const nProfile = Number(opts.profile);
const nPredict = Number(opts["predict-batches"]);

function seeded(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

async function main() {
  if (opts.backend === "wasm" && opts["no-kernels"]) {
    await tf.setBackend("wasm");
    await tf.ready();
  } else {
    await selectBackend(opts.backend as BackendPreference);
  }
  const env = tf.env();
  // The wasm flags exist (and mean something) only where the wasm backend runs.
  const wasmFlags =
    tf.getBackend() === "wasm"
      ? `, SIMD ${await env.getAsync("WASM_HAS_SIMD_SUPPORT")}, threads ${await env.getAsync("WASM_HAS_MULTITHREAD_SUPPORT")}`
      : "";
  console.log(`tfjs ${tf.version.tfjs}, backend ${tf.getBackend()}${wasmFlags}, node ${process.version}`);

  const model = buildModel("reference-cnn", { seed: 42 });
  model.compile({ optimizer: tf.train.adam(0.001), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  console.log(`reference-cnn: ${model.countParams()} parameters`);

  // A fixed pool of random batches (pixel values in [0,1], one-hot labels): speed does not depend on the data.
  const rand = seeded(7);
  const pool = Array.from({ length: 8 }, () => {
    const px = new Float32Array(BATCH * 28 * 28).map(() => rand());
    const labels = Int32Array.from({ length: BATCH }, () => Math.floor(rand() * 10));
    return { xs: tf.tensor4d(px, [BATCH, 28, 28, 1]), ys: tf.oneHot(tf.tensor1d(labels, "int32"), 10).toFloat() };
  });
  const step = async (i: number) => {
    const { xs, ys } = pool[i % pool.length];
    return (await model.trainOnBatch(xs, ys)) as number[];
  };

  for (let i = 0; i < nWarmup; i++) await step(i);
  const tensorsBefore = tf.memory().numTensors;

  const times: number[] = [];
  let last: number[] = [];
  const dataIdsBefore = (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < nBatches; i++) {
    const s = performance.now();
    last = await step(i);
    times.push(performance.now() - s);
  }
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const tensorsAfter = tf.memory().numTensors;
  const dataIdsAfter = (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
  times.sort((a, b) => a - b);
  console.log(
    `training: ${nBatches} batches of ${BATCH} in ${elapsed.toFixed(2)} s = ${((nBatches * BATCH) / elapsed).toFixed(0)} img/s ` +
      `(median ${times[times.length >> 1].toFixed(1)} ms/batch, min ${times[0].toFixed(1)}, max ${times[times.length - 1].toFixed(1)}); ` +
      `last loss ${last[0].toFixed(4)}; numTensors ${tensorsBefore} -> ${tensorsAfter}, wasm data ids ${dataIdsBefore} -> ${dataIdsAfter}`,
  );
  // On a shared machine wall time includes waiting for a core; CPU time is what the process used.
  console.log(
    `training (CPU time): ${cpuS.toFixed(2)} s = ${((nBatches * BATCH) / cpuS).toFixed(0)} img/s; ` +
      `best batch ${((BATCH * 1000) / times[0]).toFixed(0)} img/s, median batch ${((BATCH * 1000) / times[times.length >> 1]).toFixed(0)} img/s`,
  );

  // Inference: predict on batches of 256.
  const px = tf.tensor4d(new Float32Array(PREDICT_BATCH * 28 * 28).map(() => rand()), [PREDICT_BATCH, 28, 28, 1]);
  for (let i = 0; i < 2; i++) tf.tidy(() => (model.predict(px) as tf.Tensor).dataSync());
  const pc0 = process.cpuUsage();
  const p0 = performance.now();
  for (let i = 0; i < nPredict; i++) tf.tidy(() => (model.predict(px) as tf.Tensor).dataSync());
  const pElapsed = (performance.now() - p0) / 1000;
  const pc = process.cpuUsage(pc0);
  const pCpuS = (pc.user + pc.system) / 1e6;
  console.log(
    `inference: ${nPredict} batches of ${PREDICT_BATCH} in ${pElapsed.toFixed(2)} s = ${((nPredict * PREDICT_BATCH) / pElapsed).toFixed(0)} img/s ` +
      `(CPU time: ${((nPredict * PREDICT_BATCH) / pCpuS).toFixed(0)} img/s)`,
  );
  px.dispose();

  if (nProfile > 0) {
    const byKernel = new Map<string, { ms: number; calls: number }>();
    let total = 0;
    for (let i = 0; i < nProfile; i++) {
      const info = await tf.profile(async () => {
        await step(i);
      });
      for (const k of info.kernels) {
        const ms = typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0;
        const e = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
        e.ms += ms;
        e.calls += 1;
        byKernel.set(k.name, e);
        total += ms;
      }
    }
    // tf.profile reports nested kernel calls only at the top level, so these add up to the step.
    const rows = [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms);
    console.log(`profile (trainOnBatch, mean of ${nProfile} profiled steps; kernel time ${(total / nProfile).toFixed(1)} ms/batch):`);
    for (const [name, e] of rows.slice(0, 15)) {
      console.log(
        `  ${name.padEnd(22)} ${(e.ms / nProfile).toFixed(2).padStart(7)} ms/batch  ${((100 * e.ms) / total).toFixed(1).padStart(5)}%  ${(e.calls / nProfile).toFixed(0).padStart(4)} calls`,
      );
    }
  }

  const ru = process.resourceUsage();
  console.log(`peak RSS: ${(ru.maxRSS / 1024).toFixed(0)} MiB`);
  if (opts.json) {
    // One machine-readable line for bench.ts.
    console.log(
      `BENCH_JSON ${JSON.stringify({ backend: tf.getBackend(), trainImgPerSec: (nBatches * BATCH) / elapsed, trainImgPerCpuSec: (nBatches * BATCH) / cpuS, inferImgPerSec: (nPredict * PREDICT_BATCH) / pElapsed, peakRssMiB: ru.maxRSS / 1024 })}`,
    );
  }
  for (const b of pool) tf.dispose([b.xs, b.ys]);
  model.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
