// Per-kernel profile of one training step (trainOnBatch, batch 64, Adam) of a built-in architecture,
// summed by kernel and by kind of operation (the files of src/native/kernels).
// Usage: tsx bench/profile.ts [--backend cpu|native|wasm] [--steps 20] [--architecture reference-cnn] [--cpu] [--batch 64]
import { loadFashionMnist } from "@fmnist/data";
import { buildModel } from "@fmnist/model";
import * as tf from "@tensorflow/tfjs";

const args = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const backend = arg("backend", "cpu");
const steps = Number(arg("steps", "20"));
const B = Number(arg("batch", "64"));

if (backend === "native") {
  const { registerNativeBackend } = await import("../src/native/index");
  const r = await registerNativeBackend();
  if (!r.ok) throw new Error(r.reason);
} else if (backend === "wasm") {
  // The trainer's wasm path: tfjs-backend-wasm plus its training kernels.
  const { registerWasmGradientKernels } = await import("../src/wasm/wasm-gradients");
  registerWasmGradientKernels();
}
if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} failed to start`);
await tf.ready();

// --cpu: time kernels by process CPU time instead of wall time (robust on a busy machine; with
// more than one thread it adds up all threads).
if (args.includes("--cpu")) {
  const b = tf.backend() as unknown as { time: (f: () => void) => Promise<{ kernelMs: number }> };
  b.time = async (f) => {
    const c0 = process.cpuUsage();
    f();
    const c = process.cpuUsage(c0);
    return { kernelMs: (c.user + c.system) / 1000 };
  };
}
const data = await loadFashionMnist({ download: false });
function batch(start: number) {
  const x = new Float32Array(B * 784);
  const y = new Float32Array(B * 10);
  for (let k = 0; k < B; k++) {
    const i = (start + k) % data.train.count;
    for (let p = 0; p < 784; p++) x[k * 784 + p] = data.train.images[i * 784 + p] / 255;
    y[k * 10 + data.train.labels[i]] = 1;
  }
  return { xs: tf.tensor4d(x, [B, 28, 28, 1]), ys: tf.tensor2d(y, [B, 10]) };
}

const architecture = arg("architecture", "reference-cnn");
const model = buildModel(architecture, { seed: 1, dropout: Number(arg("dropout", "0.5")) });
model.compile({ optimizer: tf.train.adam(0.001), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
for (let s = 0; s < 10; s++) {
  const { xs, ys } = batch(s * B);
  await model.trainOnBatch(xs, ys);
  tf.dispose([xs, ys]);
}
const agg = new Map<string, { ms: number; n: number }>();
let wall = 0;
let kernelsPerStep = 0;
for (let s = 0; s < steps; s++) {
  const { xs, ys } = batch((s + 10) * B);
  const t0 = performance.now();
  const info = await tf.profile(async () => {
    await model.trainOnBatch(xs, ys);
  });
  wall += performance.now() - t0;
  // tf.customGrad ops ("fusedMatMul__op") are recorded around the kernels they run: not counted twice.
  const kernels = info.kernels.filter((k) => !k.name.endsWith("__op"));
  kernelsPerStep = kernels.length;
  for (const k of kernels) {
    const key = `${k.name} ${k.inputShapes.map((s) => `[${s}]`).join("")}`;
    const e = agg.get(key) ?? { ms: 0, n: 0 };
    e.ms += typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0;
    e.n++;
    agg.set(key, e);
  }
  tf.dispose([xs, ys]);
}
// Also plain timing without the profiler
const nt = backend === "native" ? (await import("../src/native/index")).nativeTime : undefined;
const n1 = nt?.();
const t1 = performance.now();
const c1 = process.cpuUsage();
for (let s = 0; s < steps; s++) {
  const { xs, ys } = batch((s + 100) * B);
  await model.trainOnBatch(xs, ys);
  tf.dispose([xs, ys]);
}
const plain = (performance.now() - t1) / steps;
const cpuPlain = ((c => (c.user + c.system) / 1000)(process.cpuUsage(c1))) / steps;
const n2 = nt?.();
if (n1 && n2) {
  const inNative = ((n2[0] - n1[0]) * 1000) / steps;
  console.log(`unprofiled: ${inNative.toFixed(1)} ms/step inside native kernels (${((n2[1] - n1[1]) / steps).toFixed(0)} calls), ${(plain - inNative).toFixed(1)} ms/step in JS (tfjs engine, JS kernels, GC, batch making)`);
}
const rows = [...agg.entries()].map(([k, v]) => ({ k, ms: v.ms / steps, n: v.n / steps })).sort((a, b) => b.ms - a.ms);
const total = rows.reduce((s, r) => s + r.ms, 0);
console.log(`backend ${tf.getBackend()}: ${kernelsPerStep} kernels/step, kernel time ${total.toFixed(1)} ms/step, profiled wall ${(wall / steps).toFixed(1)} ms/step, unprofiled ${plain.toFixed(1)} ms/step = ${((B * 1000) / plain).toFixed(0)} img/s, CPU ${cpuPlain.toFixed(1)} ms/step`);
/** Kind of operation of a kernel (as src/native/kernels splits them). */
function kind(name: string): string {
  if (/Conv/.test(name)) return "conv";
  if (/Pool/.test(name)) return "pooling";
  if (/MatMul/.test(name)) return "matmul";
  if (/BatchNorm/.test(name)) return "normalization";
  if (/^(Sum|Mean|Softmax|Max|Min|ArgMax|Prod)$/.test(name)) return "reductions";
  if (/Adam/.test(name)) return "optimizer";
  if (/^(Reshape|Identity|Cast|ExpandDims|Squeeze|ZerosLike|OnesLike|Fill)$/.test(name)) return "shape";
  return "elementwise";
}
const byKind = new Map<string, number>();
for (const r of rows) byKind.set(kind(r.k.split(" ")[0]), (byKind.get(kind(r.k.split(" ")[0])) ?? 0) + r.ms);
console.log(`by kind (${architecture}, ms/step):`, [...byKind.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(", "));
const byName = new Map<string, number>();
for (const r of rows) byName.set(r.k.split(" ")[0], (byName.get(r.k.split(" ")[0]) ?? 0) + r.ms);
console.log("by kernel:", [...byName.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(", "));
for (const r of rows.slice(0, Number(arg("top", "40")))) console.log(`${r.ms.toFixed(2).padStart(8)} ms  x${r.n}  ${r.k}`);
console.log("tensors:", tf.memory().numTensors);
if (backend === "native") {
  const { nativeThreadInfo, kernelStats } = await import("../src/native/index");
  console.log("threads:", JSON.stringify(nativeThreadInfo()));
  // Kernels this architecture's training step sends to tfjs's pure-JS implementations.
  console.log(
    `JS fallbacks (${architecture}, largest input in elements; test/dispatch.test.ts allows only the loss's [batch, 10]):`,
    [...kernelStats.fallbackLargest.entries()].map(([k, n]) => `${k} ${n}`).join(", ") || "none",
  );
}
