/**
 * What every kernel of the "native" backend shares: the heavy float32 kernels run in the native
 * addon (oneDNN for convolutions and GEMM, C++/OpenMP loops for pooling, elementwise ops,
 * reductions and normalisation) on the cpu backend's own Float32Arrays; anything they do not cover
 * (other dtypes, layouts, broadcasts) falls back to the cpu backend's kernel with the same backend
 * instance, so results and tensor bookkeeping stay those of the cpu backend. Every fallback is
 * counted in `kernelStats.fallback` (test/dispatch.test.ts fails on any in a training step).
 */

import * as tf from "@tensorflow/tfjs";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { Activation } from "../modes";

export type TensorInfo = tf.TensorInfo;
type KernelFunc = tf.KernelFunc;
export type KernelArgs = Parameters<KernelFunc>[0];
export type NativeImpl = (args: KernelArgs, backend: MathBackendCPU) => TensorInfo | TensorInfo[] | undefined;

export const BACKEND_NAME = "native";

/** Statistics for tests and profiling: how often each kernel ran natively or fell back, and the
 * largest input (in elements) each kernel fell back on. */
export const kernelStats = { native: new Map<string, number>(), fallback: new Map<string, number>(), fallbackLargest: new Map<string, number>() };
export function count(map: Map<string, number>, name: string) {
  map.set(name, (map.get(name) ?? 0) + 1);
}

/** A tensor's float32 storage, or undefined for other dtypes. */
export function f32(backend: MathBackendCPU, t: TensorInfo): Float32Array | undefined {
  if (t.dtype !== "float32") return undefined;
  const v = backend.data.get(t.dataId)?.values;
  return v instanceof Float32Array ? v : undefined;
}

export function size(shape: readonly number[]): number {
  let s = 1;
  for (const d of shape) s *= d;
  return s;
}

/** The backend's buffer pool (see ../backend.ts) when present, else a fresh array. Callers must
 * overwrite every element: pooled arrays are not zeroed. */
export function alloc(backend: MathBackendCPU, n: number): Float32Array {
  const pool = backend as unknown as { allocF32?: (n: number) => Float32Array };
  return pool.allocF32 ? pool.allocF32(n) : new Float32Array(n);
}

export function out(backend: MathBackendCPU, shape: number[], values: Float32Array): TensorInfo {
  return backend.makeTensorInfo(shape, "float32", values);
}

/** Called on the result of every cpu kernel run by the native backend (see ../backend.ts). */
export type AfterCpuKernel = (args: KernelArgs, result: TensorInfo | TensorInfo[]) => void;
let afterCpuKernel: AfterCpuKernel = () => {};
export function setAfterCpuKernel(f: AfterCpuKernel): void {
  afterCpuKernel = f;
}

/** A cpu kernel config re-registered unchanged for the native backend, with the alias check. */
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

/** A kernel of tfjs's own name for the native backend: returns `impl`'s result, or runs the cpu
 * kernel when `impl` returns undefined (unsupported case) or throws (oneDNN rejected the geometry). */
export function nativeKernel(name: string, impl: NativeImpl): tf.KernelConfig {
  const cpu = tf.getKernel(name, "cpu");
  if (!cpu) throw new Error(`@fmnist/backends: the cpu backend has no '${name}' kernel`);
  let warned = false;
  const kernelFunc: KernelFunc = (args) => {
    const backend = args.backend as MathBackendCPU;
    let r: TensorInfo | TensorInfo[] | undefined;
    try {
      r = impl(args, backend);
    } catch (e) {
      if (!warned) {
        warned = true;
        console.warn(`@fmnist/backends: ${name} fell back to the cpu kernel: ${(e as Error).message}`);
      }
      r = undefined;
    }
    if (r !== undefined) {
      count(kernelStats.native, name);
      return r;
    }
    count(kernelStats.fallback, name);
    const largest = Math.max(0, ...Object.values(args.inputs).map((t) => (t ? size((t as TensorInfo).shape) : 0)));
    kernelStats.fallbackLargest.set(name, Math.max(kernelStats.fallbackLargest.get(name) ?? 0, largest));
    const res = cpu.kernelFunc(args);
    afterCpuKernel(args, res as TensorInfo | TensorInfo[]);
    return res;
  };
  return { kernelName: name, backendName: BACKEND_NAME, kernelFunc };
}

/** A kernel of our own (no cpu counterpart): always native, counted. */
export function ownKernel(name: string, impl: (args: KernelArgs, backend: MathBackendCPU) => TensorInfo | TensorInfo[]): tf.KernelConfig {
  return {
    kernelName: name,
    backendName: BACKEND_NAME,
    kernelFunc: (args) => {
      const r = impl(args, args.backend as MathBackendCPU);
      count(kernelStats.native, name);
      return r;
    },
  };
}

export type Conv2DInfo = ReturnType<typeof tf.backend_util.computeConv2DInfo>;

/** tfjs's convolution geometry for NHWC/NCHW ("NHWC" | "NCHW" or tfjs's own names). */
export function conv2dInfo(
  xShape: readonly number[],
  filterShape: readonly number[],
  strides: [number, number] | number,
  dilations: [number, number] | number,
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding,
  dimRoundingMode: "floor" | "round" | "ceil" | undefined,
  dataFormat: "NHWC" | "NCHW" = "NHWC",
): Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    dilations,
    pad,
    dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(dataFormat),
  );
}

/** The addon's convolution parameters (NHWC only: undefined for channelsFirst). */
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

/** Activations the fused kernels apply natively. */
export function activationCode(act: string | undefined | null): Activation | undefined {
  if (act == null || act === "linear") return Activation.ACT_LINEAR;
  if (act === "relu") return Activation.ACT_RELU;
  return undefined;
}

/** Bias of a fused kernel as a [cols] vector, or undefined when it is not one. */
export function biasValues(backend: MathBackendCPU, bias: TensorInfo | undefined, cols: number): Float32Array | null | undefined {
  if (!bias) return null;
  if (size(bias.shape) !== cols || (bias.shape.length > 0 && bias.shape[bias.shape.length - 1] !== cols)) return undefined;
  return f32(backend, bias);
}
