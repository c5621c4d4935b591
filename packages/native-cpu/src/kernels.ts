/**
 * Kernels of the "native" backend: the heavy float32 kernels run in the native addon (oneDNN for
 * convolutions and GEMM, C++/OpenMP loops for pooling, elementwise ops and reductions) on the
 * cpu backend's own Float32Arrays; anything they do not cover (other dtypes, layouts, broadcasts)
 * falls back to the cpu backend's kernel with the same backend instance, so results and tensor
 * bookkeeping stay those of the cpu backend.
 */

import * as tf from "@tensorflow/tfjs";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import type { NativeAddon } from "./addon";

type TensorInfo = tf.TensorInfo;
type KernelFunc = tf.KernelFunc;
type KernelArgs = Parameters<KernelFunc>[0];

export const BACKEND_NAME = "native";

/** Statistics for tests and profiling: how often each kernel ran natively or fell back. */
export const kernelStats = { native: new Map<string, number>(), fallback: new Map<string, number>() };
function count(map: Map<string, number>, name: string) {
  map.set(name, (map.get(name) ?? 0) + 1);
}

function f32(backend: MathBackendCPU, t: TensorInfo): Float32Array | undefined {
  if (t.dtype !== "float32") return undefined;
  const v = backend.data.get(t.dataId)?.values;
  return v instanceof Float32Array ? v : undefined;
}

function size(shape: number[]): number {
  let s = 1;
  for (const d of shape) s *= d;
  return s;
}

/** The backend's buffer pool (see ./backend.ts) when present, else a fresh array. Callers must
 * overwrite every element: pooled arrays are not zeroed. */
export function alloc(backend: MathBackendCPU, n: number): Float32Array {
  const pool = backend as unknown as { allocF32?: (n: number) => Float32Array };
  return pool.allocF32 ? pool.allocF32(n) : new Float32Array(n);
}

/** Called on the result of every cpu kernel run by the native backend (see ./backend.ts). */
export type AfterCpuKernel = (args: KernelArgs, result: TensorInfo | TensorInfo[]) => void;
let afterCpuKernel: AfterCpuKernel = () => {};
export function setAfterCpuKernel(f: AfterCpuKernel): void {
  afterCpuKernel = f;
}

/** A cpu kernel config re-registered for the native backend, with the alias check. */
export function copyCpuKernel(config: tf.KernelConfig): tf.KernelConfig {
  const cpu = config.kernelFunc;
  return {
    ...config,
    backendName: BACKEND_NAME,
    kernelFunc: (args) => {
      const r = cpu(args);
      afterCpuKernel(args, r as TensorInfo | TensorInfo[]);
      return r;
    },
  };
}

function out(backend: MathBackendCPU, shape: number[], values: Float32Array): TensorInfo {
  return backend.makeTensorInfo(shape, "float32", values);
}

/** Wraps a native implementation: returns its result, or runs the cpu kernel when it returns
 * undefined (unsupported case) or throws (oneDNN rejected the geometry). */
function withFallback(name: string, impl: (args: KernelArgs, backend: MathBackendCPU) => TensorInfo | TensorInfo[] | undefined): KernelFunc {
  const cpu = tf.getKernel(name, "cpu");
  if (!cpu) throw new Error(`@fmnist/native-cpu: the cpu backend has no '${name}' kernel`);
  let warned = false;
  return (args) => {
    const backend = args.backend as MathBackendCPU;
    let r: TensorInfo | TensorInfo[] | undefined;
    try {
      r = impl(args, backend);
    } catch (e) {
      if (!warned) {
        warned = true;
        console.warn(`@fmnist/native-cpu: ${name} fell back to the cpu kernel: ${(e as Error).message}`);
      }
      r = undefined;
    }
    if (r !== undefined) {
      count(kernelStats.native, name);
      return r;
    }
    count(kernelStats.fallback, name);
    const res = cpu.kernelFunc(args);
    afterCpuKernel(args, res as TensorInfo | TensorInfo[]);
    return res;
  };
}

type Conv2DInfo = ReturnType<typeof tf.backend_util.computeConv2DInfo>;

export function convParams(c: Conv2DInfo): Int32Array | undefined {
  if (c.dataFormat !== "channelsLast") return undefined;
  const p = c.padInfo;
  return Int32Array.from([
    c.batchSize,
    c.inHeight,
    c.inWidth,
    c.inChannels,
    c.filterHeight,
    c.filterWidth,
    c.outChannels,
    c.outHeight,
    c.outWidth,
    c.strideHeight,
    c.strideWidth,
    c.dilationHeight,
    c.dilationWidth,
    p.top,
    p.left,
    p.bottom,
    p.right,
  ]);
}

function poolParams(c: Conv2DInfo): Int32Array {
  return Int32Array.from([
    c.batchSize,
    c.inHeight,
    c.inWidth,
    c.inChannels,
    c.filterHeight,
    c.filterWidth,
    c.strideHeight,
    c.strideWidth,
    c.dilationHeight,
    c.dilationWidth,
    c.padInfo.top,
    c.padInfo.left,
    c.outHeight,
    c.outWidth,
  ]);
}

// Activations the fused kernels apply natively (0 = linear, 1 = relu).
function activationCode(act: string | undefined | null): number | undefined {
  if (act == null || act === "linear") return 0;
  if (act === "relu") return 1;
  return undefined;
}

/** Bias of a fused kernel as a [cols] vector, or undefined when it is not one. */
function biasValues(backend: MathBackendCPU, bias: TensorInfo | undefined, cols: number): Float32Array | null | undefined {
  if (!bias) return null;
  if (size(bias.shape) !== cols || (bias.shape.length > 0 && bias.shape[bias.shape.length - 1] !== cols)) return undefined;
  return f32(backend, bias);
}

enum Bin {
  Add = 0,
  Sub = 1,
  Mul = 2,
  Div = 3,
  Max = 4,
  Min = 5,
  SqDiff = 6,
}

enum Un {
  Relu = 0,
  Step = 1,
  Sqrt = 2,
  Square = 3,
  Neg = 4,
  Exp = 5,
  Abs = 6,
  Rsqrt = 7,
  Relu6 = 8,
  Sigmoid = 9,
  Log = 10,
  Floor = 11,
}

/** Strips leading 1s. */
function squeezeLeading(shape: number[]): number[] {
  let i = 0;
  while (i < shape.length && shape[i] === 1) i++;
  return shape.slice(i);
}

/** When `small` (padded to big's rank) equals big on a prefix of the dims and is 1 after it, the
 * number of consecutive outputs each of its values covers ([M, 1] against [M, N]: N). */
function blockRepeat(small: number[], big: number[]): number | undefined {
  const padded = [...new Array(Math.max(0, big.length - small.length)).fill(1), ...small];
  if (padded.length !== big.length) return undefined;
  let k = 0;
  while (k < big.length && padded[k] === big[k]) k++;
  for (let i = k; i < big.length; i++) if (padded[i] !== 1) return undefined;
  // Leading 1s that broadcast (padded 1 against big > 1) before k are not this pattern.
  const inner = size(big.slice(k));
  return inner > 1 ? inner : undefined;
}

function isSuffix(small: number[], big: number[]): boolean {
  const s = squeezeLeading(small);
  if (s.length > big.length) return false;
  for (let i = 0; i < s.length; i++) if (s[s.length - 1 - i] !== big[big.length - 1 - i]) return false;
  return true;
}

export function makeKernels(addon: NativeAddon): tf.KernelConfig[] {
  const k = (kernelName: string, impl: (args: KernelArgs, backend: MathBackendCPU) => TensorInfo | TensorInfo[] | undefined): tf.KernelConfig => ({
    kernelName,
    backendName: BACKEND_NAME,
    kernelFunc: withFallback(kernelName, impl),
  });

  const binary = (name: string, op: Bin) =>
    k(name, ({ inputs }, backend) => {
      const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
      const av = f32(backend, a);
      const bv = f32(backend, b);
      if (!av || !bv) return undefined;
      const shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      const n = size(shape);
      const sa = av.length;
      const sb = bv.length;
      let mode: number;
      let inner = 0;
      if (sa === n && sb === n) mode = 0;
      else if (sb === 1 && sa === n) mode = 2;
      else if (sa === 1 && sb === n) mode = 1;
      else if (sa === n && isSuffix(b.shape, shape)) {
        mode = 3;
        inner = sb;
      } else if (sb === n && isSuffix(a.shape, shape)) {
        mode = 4;
        inner = sa;
      } else if (sa === n && blockRepeat(b.shape, shape) !== undefined) {
        mode = 5;
        inner = blockRepeat(b.shape, shape)!;
      } else if (sb === n && blockRepeat(a.shape, shape) !== undefined) {
        mode = 6;
        inner = blockRepeat(a.shape, shape)!;
      } else if (shape.length <= 4) {
        // Any other broadcast (a global-average-pooling gradient's [N,1,1,C] against [N,H,W,C]):
        // one strided pass here, much faster than the cpu kernel's per-element index arithmetic.
        const o = alloc(backend, n);
        if (n > 0) broadcastBinary(op, av, a.shape, bv, b.shape, o, shape);
        return out(backend, shape, o);
      } else return undefined;
      const o = alloc(backend, n);
      if (n > 0) addon.binary(op, av, bv, o, mode, inner);
      return out(backend, shape, o);
    });

  const unary = (name: string, op: Un, alphaOf: (attrs: Record<string, unknown>) => number = () => 0) =>
    k(name, ({ inputs, attrs }, backend) => {
      const { x } = inputs as { x: TensorInfo };
      const xv = f32(backend, x);
      if (!xv) return undefined;
      const o = alloc(backend, xv.length);
      if (o.length > 0) addon.unary(op, xv, o, alphaOf((attrs ?? {}) as Record<string, unknown>));
      return out(backend, x.shape, o);
    });

  const conv2d = k(tf.Conv2D, ({ inputs, attrs }, backend) => {
    const { x, filter } = inputs as { x: TensorInfo; filter: TensorInfo };
    const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs as unknown as tf.Conv2DAttrs;
    const xv = f32(backend, x);
    const wv = f32(backend, filter);
    if (!xv || !wv) return undefined;
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      strides,
      dilations,
      pad,
      dimRoundingMode,
      false,
      tf.backend_util.convertConv2DDataFormat(dataFormat),
    );
    const p = convParams(info);
    if (!p) return undefined;
    const o = alloc(backend, size(info.outShape));
    if (o.length > 0) addon.conv2d(0, xv, wv, o, p);
    return out(backend, info.outShape, o);
  });

  const fusedConv2d = k(tf.FusedConv2D, ({ inputs, attrs }, backend) => {
    const { x, filter, bias, preluActivationWeights } = inputs as {
      x: TensorInfo;
      filter: TensorInfo;
      bias?: TensorInfo;
      preluActivationWeights?: TensorInfo;
    };
    const { strides, pad, dataFormat, dilations, dimRoundingMode, activation } = attrs as unknown as tf.FusedConv2DAttrs;
    const act = activationCode(activation);
    if (act === undefined || preluActivationWeights) return undefined;
    const xv = f32(backend, x);
    const wv = f32(backend, filter);
    if (!xv || !wv) return undefined;
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      strides,
      dilations,
      pad,
      dimRoundingMode,
      false,
      tf.backend_util.convertConv2DDataFormat(dataFormat),
    );
    const p = convParams(info);
    const bv = biasValues(backend, bias, info.outChannels);
    if (!p || bv === undefined) return undefined;
    const o = alloc(backend, size(info.outShape));
    // One oneDNN pass: convolution, bias and ReLU as a post-op.
    if (o.length > 0) addon.convFused(0, xv, wv, bv, o, p, act);
    return out(backend, info.outShape, o);
  });

  const conv2dBackpropInput = k(tf.Conv2DBackpropInput, ({ inputs, attrs }, backend) => {
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const { inputShape, strides, pad, dataFormat, dimRoundingMode } = attrs as unknown as tf.Conv2DBackpropInputAttrs;
    const dyv = f32(backend, dy);
    const wv = f32(backend, filter);
    if (!dyv || !wv) return undefined;
    const info = tf.backend_util.computeConv2DInfo(
      inputShape,
      filter.shape as [number, number, number, number],
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      tf.backend_util.convertConv2DDataFormat(dataFormat),
    );
    const p = convParams(info);
    if (!p) return undefined;
    const o = alloc(backend, size(info.inShape));
    if (o.length > 0 && dyv.length > 0) addon.conv2d(1, dyv, wv, o, p);
    else o.fill(0);
    return out(backend, [...info.inShape], o);
  });

  const conv2dBackpropFilter = k(tf.Conv2DBackpropFilter, ({ inputs, attrs }, backend) => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    const xv = f32(backend, x);
    const dyv = f32(backend, dy);
    if (!xv || !dyv) return undefined;
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filterShape,
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      tf.backend_util.convertConv2DDataFormat(dataFormat),
    );
    const p = convParams(info);
    if (!p) return undefined;
    const o = alloc(backend, size(filterShape));
    if (o.length > 0 && dyv.length > 0 && xv.length > 0) addon.conv2d(2, xv, dyv, o, p);
    else o.fill(0);
    return out(backend, [...filterShape], o);
  });

  const maxPool = k(tf.MaxPool, ({ inputs, attrs }, backend) => {
    const { x } = inputs as { x: TensorInfo };
    const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolAttrs;
    const xv = f32(backend, x);
    if (!xv || x.shape.length !== 4) return undefined;
    const info = tf.backend_util.computePool2DInfo(x.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
    if (info.filterWidth === 1 && info.filterHeight === 1 && tf.util.arraysEqual(info.inShape, info.outShape)) return undefined;
    const o = alloc(backend, size(info.outShape));
    if (o.length > 0) addon.maxPool(xv, o, poolParams(info));
    return out(backend, info.outShape, o);
  });

  const maxPoolGrad = k(tf.MaxPoolGrad, ({ inputs, attrs }, backend) => {
    const { dy, input, output } = inputs as { dy: TensorInfo; input: TensorInfo; output: TensorInfo };
    const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolGradAttrs;
    const dyv = f32(backend, dy);
    const xv = f32(backend, input);
    if (!dyv || !xv || input.shape.length !== 4) return undefined;
    const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
    const o = alloc(backend, xv.length);
    const yv = output ? f32(backend, output) : undefined;
    const disjoint = info.strideHeight >= info.effectiveFilterHeight && info.strideWidth >= info.effectiveFilterWidth;
    if (o.length === 0) {
      // nothing to do
    } else if (disjoint && yv && yv.length === dyv.length) {
      // Non-overlapping windows (2x2/2): one pass using the forward output.
      addon.maxPoolGradDisjoint(dyv, xv, yv, o, poolParams(info));
    } else {
      addon.maxPoolGrad(dyv, xv, o, poolParams(info));
    }
    return out(backend, [...input.shape], o);
  });

  /** Shared by BatchMatMul and _FusedMatMul: c = a @ b on 3-D views, or undefined. */
  function matMul(
    backend: MathBackendCPU,
    a: TensorInfo,
    b: TensorInfo,
    transposeA: boolean,
    transposeB: boolean,
  ): { values: Float32Array; shape: number[]; n: number } | undefined {
    const av = f32(backend, a);
    const bv = f32(backend, b);
    if (!av || !bv || a.shape.length < 2 || b.shape.length < 2) return undefined;
    const ar = a.shape.length;
    const br = b.shape.length;
    const innerA = transposeA ? a.shape[ar - 2] : a.shape[ar - 1];
    const innerB = transposeB ? b.shape[br - 1] : b.shape[br - 2];
    const m = transposeA ? a.shape[ar - 1] : a.shape[ar - 2];
    const n = transposeB ? b.shape[br - 2] : b.shape[br - 1];
    if (innerA !== innerB) return undefined;
    const batchA = size(a.shape.slice(0, -2));
    const batchB = size(b.shape.slice(0, -2));
    if (batchA !== batchB && batchA !== 1 && batchB !== 1) return undefined;
    const outer = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
    const shape = [...outer, m, n];
    const batch = Math.max(batchA, batchB);
    if (size(outer) !== batch) return undefined;
    const values = alloc(backend, batch * m * n);
    if (values.length > 0) addon.batchMatMul(av, bv, values, batchA, batchB, m, n, innerA, transposeA ? 1 : 0, transposeB ? 1 : 0);
    return { values, shape, n };
  }

  const batchMatMul = k(tf.BatchMatMul, ({ inputs, attrs }, backend) => {
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
    const r = matMul(backend, a, b, transposeA, transposeB);
    return r && out(backend, r.shape, r.values);
  });

  const fusedMatMul = k(tf._FusedMatMul, ({ inputs, attrs }, backend) => {
    const { a, b, bias, preluActivationWeights } = inputs as {
      a: TensorInfo;
      b: TensorInfo;
      bias?: TensorInfo;
      preluActivationWeights?: TensorInfo;
    };
    const { transposeA, transposeB, activation } = attrs as unknown as tf._FusedMatMulAttrs;
    const act = activationCode(activation);
    if (act === undefined || preluActivationWeights) return undefined;
    const n = transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
    const bv = biasValues(backend, bias, n);
    if (bv === undefined) return undefined;
    const r = matMul(backend, a, b, transposeA, transposeB);
    if (!r) return undefined;
    if (r.values.length > 0 && (bv || act)) addon.biasAct(r.values, bv, r.values.length / n, n, act);
    return out(backend, r.shape, r.values);
  });

  /** Sum over leading axes (per-channel: bias gradients, batch-norm statistics) or trailing axes,
   * natively; other axis sets return undefined (the cpu kernel). */
  function reduceSum(backend: MathBackendCPU, x: TensorInfo, axis: number | number[], keepDims: boolean) {
    const xv = f32(backend, x);
    if (!xv) return undefined;
    const axes = [...new Set(tf.util.parseAxisParam(axis, x.shape))].sort((p, q) => p - q);
    if (axes.length === 0) return undefined;
    const outShape = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
    // Contiguous axes [first..last]: [outer, mid, inner] summed over mid.
    const first = axes[0];
    const last = axes[axes.length - 1];
    if (last - first + 1 !== axes.length) return undefined;
    const o = alloc(backend, size(outShape));
    const outer = size(x.shape.slice(0, first));
    const mid = size(x.shape.slice(first, last + 1));
    const inner = size(x.shape.slice(last + 1));
    if (outer === 1) addon.sumRows(xv, o, mid, o.length);
    else if (inner === 1) addon.sumCols(xv, o, o.length, mid);
    else {
      o.fill(0);
      for (let p = 0; p < outer; p++) {
        const base = p * inner;
        for (let m = 0; m < mid; m++) {
          const src = (p * mid + m) * inner;
          for (let i = 0; i < inner; i++) o[base + i] += xv[src + i];
        }
      }
    }
    return { outShape, o, count: o.length === 0 ? 0 : xv.length / o.length };
  }

  const sum = k(tf.Sum, ({ inputs, attrs }, backend) => {
    const { axis, keepDims } = attrs as unknown as tf.SumAttrs;
    const r = reduceSum(backend, (inputs as { x: TensorInfo }).x, axis, keepDims);
    return r && out(backend, r.outShape, r.o);
  });

  // Batch normalisation takes the moments of [N,H,W,C] over N,H,W every step: the cpu kernel
  // transposes the whole activation first (most of a residual network's step before this).
  const mean = k(tf.Mean, ({ inputs, attrs }, backend) => {
    const { axis, keepDims } = attrs as unknown as tf.MeanAttrs;
    const r = reduceSum(backend, (inputs as { x: TensorInfo }).x, axis, keepDims);
    if (!r) return undefined;
    const inv = 1 / r.count;
    for (let i = 0; i < r.o.length; i++) r.o[i] *= inv;
    return out(backend, r.outShape, r.o);
  });

  // Batch normalisation with per-channel (last axis) statistics: one pass with the per-channel
  // scale and shift folded first, where the cpu kernel indexes four parameter arrays per element.
  const batchNorm = k(tf.FusedBatchNorm, ({ inputs, attrs }, backend) => {
    const { x, mean, variance, offset, scale } = inputs as { x: TensorInfo; mean: TensorInfo; variance: TensorInfo; offset?: TensorInfo; scale?: TensorInfo };
    const { varianceEpsilon } = attrs as unknown as tf.FusedBatchNormAttrs;
    const xv = f32(backend, x);
    const mv = f32(backend, mean);
    const vv = f32(backend, variance);
    const ov = offset ? f32(backend, offset) : null;
    const sv = scale ? f32(backend, scale) : null;
    const c = x.shape[x.shape.length - 1];
    const perChannel = (v: Float32Array | null | undefined) => v === null || (v !== undefined && v.length === c);
    if (!xv || !perChannel(mv) || !perChannel(vv) || !perChannel(ov) || !perChannel(sv)) return undefined;
    const mul = new Float32Array(c);
    const add = new Float32Array(c);
    for (let j = 0; j < c; j++) {
      mul[j] = (sv ? sv[j] : 1) / Math.sqrt(vv![j] + varianceEpsilon);
      add[j] = (ov ? ov[j] : 0) - mv![j] * mul[j];
    }
    const o = alloc(backend, xv.length);
    for (let i = 0; i < xv.length; i += c) for (let j = 0; j < c; j++) o[i + j] = xv[i + j] * mul[j] + add[j];
    return out(backend, [...x.shape], o);
  });

  // Tile that repeats the whole tensor along leading axes (the batch-norm gradient broadcasts its
  // per-channel terms this way): block copies instead of the cpu kernel's per-element indexing.
  const tile = k(tf.Tile, ({ inputs, attrs }, backend) => {
    const { x } = inputs as { x: TensorInfo };
    const { reps } = attrs as unknown as tf.TileAttrs;
    const xv = f32(backend, x);
    if (!xv || reps.length !== x.shape.length) return undefined;
    // Leading axes of x of size 1 may repeat; from the first axis that is not repeated on, no
    // repeats at all: then the output is `copies` back-to-back copies of x.
    let k0 = 0;
    while (k0 < reps.length && x.shape[k0] === 1) k0++;
    for (let i = k0; i < reps.length; i++) if (reps[i] !== 1) return undefined;
    const copies = reps.reduce((p, r) => p * r, 1);
    const o = alloc(backend, xv.length * copies);
    for (let c = 0; c < copies; c++) o.set(xv, c * xv.length);
    return out(backend, x.shape.map((d, i) => d * reps[i]), o);
  });

  const softmax = k(tf.Softmax, ({ inputs, attrs }, backend) => {
    const { logits } = inputs as { logits: TensorInfo };
    const { dim } = attrs as unknown as tf.SoftmaxAttrs;
    const xv = f32(backend, logits);
    const rank = logits.shape.length;
    if (!xv || rank === 0 || (dim !== -1 && dim !== rank - 1)) return undefined;
    const cols = logits.shape[rank - 1];
    const o = alloc(backend, xv.length);
    if (o.length > 0) addon.softmax(xv, o, o.length / cols, cols);
    return out(backend, [...logits.shape], o);
  });

  return [
    softmax,
    conv2d,
    fusedConv2d,
    conv2dBackpropInput,
    conv2dBackpropFilter,
    maxPool,
    maxPoolGrad,
    batchMatMul,
    fusedMatMul,
    sum,
    mean,
    tile,
    batchNorm,
    binary(tf.Add, Bin.Add),
    binary(tf.Sub, Bin.Sub),
    binary(tf.Multiply, Bin.Mul),
    binary(tf.RealDiv, Bin.Div),
    binary(tf.Maximum, Bin.Max),
    binary(tf.Minimum, Bin.Min),
    binary(tf.SquaredDifference, Bin.SqDiff),
    unary(tf.Relu, Un.Relu),
    unary(tf.Step, Un.Step, (a) => Number(a.alpha ?? 0)),
    unary(tf.Sqrt, Un.Sqrt),
    unary(tf.Square, Un.Square),
    unary(tf.Neg, Un.Neg),
    unary(tf.Abs, Un.Abs),
    unary(tf.Rsqrt, Un.Rsqrt),
    unary(tf.Relu6, Un.Relu6),
    unary(tf.Floor, Un.Floor),
  ];
}

const JS_OPS: Record<Bin, (x: number, y: number) => number> = {
  [Bin.Add]: (x, y) => x + y,
  [Bin.Sub]: (x, y) => x - y,
  [Bin.Mul]: (x, y) => x * y,
  [Bin.Div]: (x, y) => x / y,
  [Bin.Max]: Math.max,
  [Bin.Min]: Math.min,
  [Bin.SqDiff]: (x, y) => (x - y) * (x - y),
};

/** a op b broadcast to `shape` (rank <= 4), with strides 0 along broadcast axes. */
function broadcastBinary(op: Bin, av: Float32Array, aShape: number[], bv: Float32Array, bShape: number[], o: Float32Array, shape: number[]): void {
  const pad = (s: number[]) => [...new Array(4 - s.length).fill(1), ...s];
  const S = pad(shape);
  const strides = (s: number[]) => {
    const p = pad(s);
    const st = [0, 0, 0, 0];
    let acc = 1;
    for (let i = 3; i >= 0; i--) {
      st[i] = p[i] === 1 ? 0 : acc;
      acc *= p[i];
    }
    return st;
  };
  const sa = strides(aShape);
  const sb = strides(bShape);
  const f = JS_OPS[op];
  let idx = 0;
  for (let i0 = 0; i0 < S[0]; i0++)
    for (let i1 = 0; i1 < S[1]; i1++)
      for (let i2 = 0; i2 < S[2]; i2++) {
        let ia = i0 * sa[0] + i1 * sa[1] + i2 * sa[2];
        let ib = i0 * sb[0] + i1 * sb[1] + i2 * sb[2];
        for (let i3 = 0; i3 < S[3]; i3++, ia += sa[3], ib += sb[3]) o[idx++] = f(av[ia], bv[ib]);
      }
}
