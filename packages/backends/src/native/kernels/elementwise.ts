/**
 * Elementwise kernels: binary ops with every broadcast a training step meets (same shape, scalar,
 * per-channel suffix, [M,1] blocks, and any other broadcast up to rank 4 through strides, such as
 * a global-average-pooling gradient's [N,1,1,C] against [N,H,W,C]), unary ops, Tile along leading
 * axes, and the fused ReLU gradient FmnistReluGrad (see ../patches.ts).
 */

import * as tf from "@tensorflow/tfjs";
import type { NativeAddon } from "../addon";
import { BinOp, Broadcast, UnOp } from "../modes";
import { alloc, f32, nativeKernel, out, ownKernel, size, type TensorInfo } from "./common";

export const RELU_GRAD_KERNEL = "FmnistReluGrad";

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
  const inner = size(big.slice(k));
  return inner > 1 ? inner : undefined;
}

function isSuffix(small: number[], big: number[]): boolean {
  const s = squeezeLeading(small);
  if (s.length > big.length) return false;
  for (let i = 0; i < s.length; i++) if (s[s.length - 1 - i] !== big[big.length - 1 - i]) return false;
  return true;
}

/** Element strides of `shape` against a rank-4 output (0 along the axes it broadcasts on). */
function strides4(shape: number[]): Int32Array {
  const p = [...new Array(4 - shape.length).fill(1), ...shape];
  const st = new Int32Array(4);
  let acc = 1;
  for (let i = 3; i >= 0; i--) {
    st[i] = p[i] === 1 ? 0 : acc;
    acc *= p[i];
  }
  return st;
}

export function elementwiseKernels(addon: NativeAddon): tf.KernelConfig[] {
  const binary = (name: string, op: BinOp) =>
    nativeKernel(name, ({ inputs }, backend) => {
      const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
      const av = f32(backend, a);
      const bv = f32(backend, b);
      if (!av || !bv) return undefined;
      const shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      const n = size(shape);
      const sa = av.length;
      const sb = bv.length;
      const o = alloc(backend, n);
      if (n === 0) return out(backend, shape, o);
      let mode: Broadcast;
      let inner = 0;
      if (sa === n && sb === n) mode = Broadcast.BCAST_SAME;
      else if (sb === 1 && sa === n) mode = Broadcast.BCAST_B_SCALAR;
      else if (sa === 1 && sb === n) mode = Broadcast.BCAST_A_SCALAR;
      else if (sa === n && isSuffix(b.shape, shape)) {
        mode = Broadcast.BCAST_B_SUFFIX;
        inner = sb;
      } else if (sb === n && isSuffix(a.shape, shape)) {
        mode = Broadcast.BCAST_A_SUFFIX;
        inner = sa;
      } else if (sa === n && blockRepeat(b.shape, shape) !== undefined) {
        mode = Broadcast.BCAST_B_BLOCK;
        inner = blockRepeat(b.shape, shape)!;
      } else if (sb === n && blockRepeat(a.shape, shape) !== undefined) {
        mode = Broadcast.BCAST_A_BLOCK;
        inner = blockRepeat(a.shape, shape)!;
      } else if (shape.length <= 4) {
        addon.binaryStrided(op, av, strides4(a.shape), bv, strides4(b.shape), o, Int32Array.from([...new Array(4 - shape.length).fill(1), ...shape]));
        return out(backend, shape, o);
      } else return undefined;
      addon.binary(op, av, bv, o, mode, inner);
      return out(backend, shape, o);
    });

  const unary = (name: string, op: UnOp, alphaOf: (attrs: Record<string, unknown>) => number = () => 0) =>
    nativeKernel(name, ({ inputs, attrs }, backend) => {
      const { x } = inputs as { x: TensorInfo };
      const xv = f32(backend, x);
      if (!xv) return undefined;
      const o = alloc(backend, xv.length);
      if (o.length > 0) addon.unary(op, xv, o, alphaOf((attrs ?? {}) as Record<string, unknown>));
      return out(backend, x.shape, o);
    });

  // Tile that repeats the whole tensor along leading axes: block copies (memcpy) instead of the
  // cpu kernel's per-element indexing.
  const tile = nativeKernel(tf.Tile, ({ inputs, attrs }, backend) => {
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

  // dy * step(x) in one pass (the Relu gradient tfjs computes as mul(dy, cast(step(x)))).
  const reluGrad = ownKernel(RELU_GRAD_KERNEL, ({ inputs }, b) => {
    const { dy, x } = inputs as Record<string, TensorInfo>;
    const dyv = b.data.get(dy.dataId).values as Float32Array;
    const xv = b.data.get(x.dataId).values as Float32Array;
    const o = alloc(b, dyv.length);
    if (o.length > 0) addon.reluGrad(dyv, xv, o);
    return b.makeTensorInfo([...dy.shape], "float32", o);
  });

  return [
    tile,
    reluGrad,
    binary(tf.Add, BinOp.ADD),
    binary(tf.Sub, BinOp.SUB),
    binary(tf.Multiply, BinOp.MUL),
    binary(tf.RealDiv, BinOp.DIV),
    binary(tf.Maximum, BinOp.MAX),
    binary(tf.Minimum, BinOp.MIN),
    binary(tf.SquaredDifference, BinOp.SQDIFF),
    unary(tf.Relu, UnOp.RELU),
    unary(tf.Step, UnOp.STEP, (a) => Number(a.alpha ?? 0)),
    unary(tf.Sqrt, UnOp.SQRT),
    unary(tf.Square, UnOp.SQUARE),
    unary(tf.Neg, UnOp.NEG),
    unary(tf.Abs, UnOp.ABS),
    unary(tf.Rsqrt, UnOp.RSQRT),
    unary(tf.Relu6, UnOp.RELU6),
    unary(tf.Floor, UnOp.FLOOR),
    unary(tf.Exp, UnOp.EXP),
    unary(tf.Log, UnOp.LOG),
    unary(tf.Sigmoid, UnOp.SIGMOID),
  ];
}
