/** Loads the optional native addon built at install time (build/Release/native_cpu.node). */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface NativeAddon {
  /** mode 0: conv(x, w) -> y; 1: input gradient (dy, w) -> dx; 2: filter gradient (x, dy) -> dw. */
  conv2d(mode: 0 | 1 | 2, a: Float32Array, b: Float32Array, out: Float32Array, params: Int32Array): void;
  convImpl(params: Int32Array): string;
  /** Convolution + bias + activation (act 0 linear, 1 relu) and its gradients:
   * mode 0 (x, w, bias|null, y), 1 (dy, w, y|null, dx), 2 (x, dy, y|null, dw, ..., db|null). */
  convFused(
    mode: 0 | 1 | 2,
    a: Float32Array,
    b: Float32Array,
    c: Float32Array | null,
    out: Float32Array,
    params: Int32Array,
    act: number,
    db?: Float32Array | null,
  ): void;
  batchMatMul(
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    batchA: number,
    batchB: number,
    m: number,
    n: number,
    k: number,
    transA: number,
    transB: number,
  ): void;
  biasAct(c: Float32Array, bias: Float32Array | null, rows: number, cols: number, act: number): void;
  binary(op: number, a: Float32Array, b: Float32Array, out: Float32Array, mode: number, inner: number): void;
  unary(op: number, x: Float32Array, out: Float32Array, alpha: number): void;
  reluGrad(dy: Float32Array, x: Float32Array, out: Float32Array): void;
  sumRows(x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  sumCols(x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  softmax(x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  maxPool(x: Float32Array, y: Float32Array, params: Int32Array): void;
  maxPoolGrad(dy: Float32Array, x: Float32Array, dx: Float32Array, params: Int32Array): void;
  maxPoolGradDisjoint(dy: Float32Array, x: Float32Array, y: Float32Array, dx: Float32Array, params: Int32Array): void;
  adam(
    x: Float32Array,
    g: Float32Array,
    m: Float32Array,
    v: Float32Array,
    xOut: Float32Array,
    mOut: Float32Array,
    vOut: Float32Array,
    b1: number,
    oneMinusB1: number,
    b2: number,
    oneMinusB2: number,
    c1: number,
    c2: number,
    eps: number,
    negLr: number,
  ): void;
  setThreads(n: number, adaptive?: boolean): void;
  getThreads(): number;
  threadInfo(): ThreadInfo;
  /** [seconds spent inside the addon's functions, number of calls] since it was loaded. */
  nativeTime(): [number, number];
  version(): string;
}

export interface ThreadInfo {
  /** Threads asked for. */
  max: number;
  /** Threads in use now (1 while other processes keep a core busy, in adaptive mode). */
  current: number;
  adaptive: boolean;
  /** How often the thread count changed since setThreads. */
  switches: number;
  /** Cores used by other processes in the last 0.5 s window. */
  otherLoad: number;
}

export const BUILD_HINT =
  "install oneDNN and a C++ compiler (Debian/Ubuntu: apt-get install -y libdnnl-dev g++ make python3), " +
  "then run `pnpm --filter @fmnist/native-cpu build:native` (or reinstall)";

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), "..");
export const ADDON_PATH = process.env.FMNIST_NATIVE_CPU_ADDON || join(packageRoot, "build", "Release", "native_cpu.node");

let cached: { addon: NativeAddon } | { error: string } | undefined;

/** The addon, or why it cannot be loaded (never throws). */
export function loadAddon(): { addon: NativeAddon } | { error: string } {
  if (cached) return cached;
  if (!existsSync(ADDON_PATH)) {
    cached = { error: `the native addon is not built (${ADDON_PATH} is missing): ${BUILD_HINT}` };
    return cached;
  }
  try {
    // process.dlopen is what require() does for a .node file; bundlers (Next's Turbopack, for the
    // model server) rewrite require() calls they cannot resolve, but leave this one alone.
    const mod = { exports: {} as unknown };
    process.dlopen(mod, ADDON_PATH);
    cached = { addon: mod.exports as NativeAddon };
  } catch (e) {
    const msg = (e instanceof Error ? e.message : String(e)).split("\n")[0];
    cached = { error: `the native addon failed to load (${msg}): ${BUILD_HINT}` };
  }
  return cached;
}
