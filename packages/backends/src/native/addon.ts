/** Loads the optional native addon built at install time (build/Release/native_cpu.node). */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Activation, BinOp, Broadcast, ConvMode, UnOp } from "./modes";

export interface NativeAddon {
  /** CONV_FORWARD: conv(x, w) -> y; CONV_INPUT_GRAD: (dy, w) -> dx; CONV_FILTER_GRAD: (x, dy) -> dw. */
  conv2d(mode: ConvMode, a: Float32Array, b: Float32Array, out: Float32Array, params: Int32Array): void;
  /** Convolution + bias + activation and its gradients: CONV_FORWARD (x, w, bias|null, y),
   * CONV_INPUT_GRAD (dy, w, y|null, dx), CONV_FILTER_GRAD (x, dy, y|null, dw, ..., db|null). */
  convFused(
    mode: ConvMode,
    a: Float32Array,
    b: Float32Array,
    c: Float32Array | null,
    out: Float32Array,
    params: Int32Array,
    act: Activation,
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
  biasAct(c: Float32Array, bias: Float32Array | null, rows: number, cols: number, act: Activation): void;
  binary(op: BinOp, a: Float32Array, b: Float32Array, out: Float32Array, mode: Broadcast, inner: number): void;
  /** a op b over a rank-4 output `shape`, with each operand's element strides (0 where it broadcasts). */
  binaryStrided(op: BinOp, a: Float32Array, aStrides: Int32Array, b: Float32Array, bStrides: Int32Array, out: Float32Array, shape: Int32Array): void;
  unary(op: UnOp, x: Float32Array, out: Float32Array, alpha: number): void;
  reluGrad(dy: Float32Array, x: Float32Array, out: Float32Array): void;
  sumRows(x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  sumCols(x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  /** out[p, i] = sum over m of x[p, m, i]. */
  sumMid(x: Float32Array, out: Float32Array, outer: number, mid: number, inner: number): void;
  /** Batch statistics over the rows of [rows, c] and y = gamma (x - mean) / sqrt(variance + eps) + beta. */
  batchNormTrain(
    x: Float32Array,
    gamma: Float32Array,
    beta: Float32Array,
    y: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    rows: number,
    c: number,
    eps: number,
  ): void;
  /** The gradient of batchNormTrain, through the batch statistics too. */
  batchNormGrad(
    dy: Float32Array,
    x: Float32Array,
    gamma: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    dx: Float32Array,
    dgamma: Float32Array,
    dbeta: Float32Array,
    rows: number,
    c: number,
    eps: number,
  ): void;
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
  "then run `pnpm --filter @fmnist/backends build:native` (or reinstall)";

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
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
