/**
 * @fmnist/backends/native: an optional tfjs backend named "native" for training on the CPU.
 *
 * It is tfjs's own `cpu` backend (MathBackendCPU: same tensor storage) with the kernels a training
 * step uses replaced by a native addon (addon/native_cpu.cc): convolutions (forward, input and
 * filter gradients) and matrix products on oneDNN with OpenMP threads on every core; pooling,
 * elementwise ops, reductions, batch normalisation and a fused Adam step in C++ (./kernels, by kind
 * of operation). ./patches.ts holds the few patches to tfjs globals that route training ops to
 * fused kernels. The addon is compiled at install time when libdnnl-dev and a C++ compiler are
 * present; without it `registerNativeBackend()` returns `{ ok: false, reason }` (it never throws)
 * and callers use another backend.
 *
 *   const r = await registerNativeBackend();
 *   if (r.ok) await tf.setBackend("native");
 */
import { availableParallelism } from "node:os";
import * as tf from "@tensorflow/tfjs";
import { loadAddon, type NativeAddon, type ThreadInfo } from "./addon";
import { makeNativeBackendClass } from "./backend";
import { BACKEND_NAME, copyCpuKernel, kernelStats, nativeKernels } from "./kernels";
import { installPatches, setFusedAdam, setFusedBatchNorm, setFusedConv } from "./patches";

export { ADDON_PATH, BUILD_HINT, type ThreadInfo } from "./addon";
export { BACKEND_NAME, kernelStats } from "./kernels";

export interface NativeBackendOptions {
  /** OpenMP threads for the native kernels; default FMNIST_NATIVE_THREADS or every available core. */
  threads?: number;
  /** Drop to one thread while other processes keep a core busy (OpenMP threads stall badly on a
   * shared core); default true, or FMNIST_NATIVE_ADAPTIVE=0 to always use `threads`. */
  adaptiveThreads?: boolean;
  /** Fuse tf.AdamOptimizer's update into one native kernel per variable while "native" is active
   * (bit-identical results; default true, or FMNIST_NATIVE_FUSED_ADAM=0 to turn it off). */
  fusedAdam?: boolean;
  /** While training on "native", run tf.fused.conv2d (Conv2D layers with bias and relu/linear) as
   * one convolution+bias+ReLU kernel with a fused gradient instead of tfjs's unfused Conv2D, Add,
   * Relu (default true, or FMNIST_NATIVE_FUSED_CONV=0 to turn it off). */
  fusedConv?: boolean;
  /** While training on "native", run BatchNormalization layers as one statistics+normalisation
   * kernel with a one-kernel gradient (default true, or FMNIST_NATIVE_FUSED_BN=0 to turn it off). */
  fusedBatchNorm?: boolean;
  /** Backend priority for tfjs's automatic choice (default 1, below wasm/webgl, like cpu). */
  priority?: number;
}

export type RegisterResult = { ok: true; info: string; threads: number } | { ok: false; reason: string };

const STATE = Symbol.for("fmnist.nativeBackend");
type State = { addon: NativeAddon; kernels: Set<string> };
const g = globalThis as unknown as Record<symbol, State | undefined>;

function defaultThreads(): number {
  const env = Number(process.env.FMNIST_NATIVE_THREADS);
  if (Number.isInteger(env) && env > 0) return env;
  return Math.max(1, availableParallelism());
}

/**
 * Registers the "native" backend (idempotent). Does not switch to it: call
 * `tf.setBackend("native")` afterwards. Never throws; `reason` says how to build the addon.
 */
export async function registerNativeBackend(options: NativeBackendOptions = {}): Promise<RegisterResult> {
  try {
    const loaded = loadAddon();
    if ("error" in loaded) return { ok: false, reason: loaded.error };
    const { addon } = loaded;
    const threads = options.threads ?? defaultThreads();
    const adaptive = options.adaptiveThreads ?? process.env.FMNIST_NATIVE_ADAPTIVE !== "0";
    addon.setThreads(threads, adaptive);
    if (!g[STATE]) {
      const { MathBackendCPU } = await import("@tensorflow/tfjs-backend-cpu");
      const overrides = nativeKernels(addon);
      const overridden = new Set(overrides.map((c) => c.kernelName));
      for (const config of tf.getKernelsForBackend("cpu")) {
        if (!overridden.has(config.kernelName)) tf.registerKernel(copyCpuKernel(config));
      }
      for (const config of overrides) tf.registerKernel(config);
      const NativeBackend = makeNativeBackendClass(MathBackendCPU);
      const ok = tf.registerBackend(BACKEND_NAME, () => new NativeBackend(), options.priority ?? 1);
      if (!ok && !tf.findBackendFactory(BACKEND_NAME)) return { ok: false, reason: "tfjs refused to register the native backend" };
      installPatches();
      g[STATE] = { addon, kernels: overridden };
    }
    setFusedAdam(options.fusedAdam ?? process.env.FMNIST_NATIVE_FUSED_ADAM !== "0");
    setFusedConv(options.fusedConv ?? process.env.FMNIST_NATIVE_FUSED_CONV !== "0");
    setFusedBatchNorm(options.fusedBatchNorm ?? process.env.FMNIST_NATIVE_FUSED_BN !== "0");
    return { ok: true, info: addon.version(), threads: addon.getThreads() };
  } catch (e) {
    return { ok: false, reason: `the native backend failed to register: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** Names of the kernels the addon implements (the rest of the "native" backend's kernels are the
 * cpu backend's pure-JS ones); empty before registerNativeBackend. */
export function nativeKernelNames(): ReadonlySet<string> {
  return g[STATE]?.kernels ?? new Set();
}

/** Threads in use, for logs and benchmarks (undefined before registerNativeBackend). */
export function nativeThreadInfo(): ThreadInfo | undefined {
  return g[STATE]?.addon.threadInfo();
}

/** [seconds spent inside native kernels, calls] since load (profiling: the rest of a step is JS). */
export function nativeTime(): [number, number] | undefined {
  return g[STATE]?.addon.nativeTime();
}

export function resetKernelStats(): void {
  kernelStats.native.clear();
  kernelStats.fallback.clear();
  kernelStats.fallbackLargest.clear();
}
