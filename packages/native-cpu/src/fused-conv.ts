/**
 * Convolution + bias + ReLU as one training op on the native backend.
 *
 * tfjs-layers' Conv2D calls tf.fused.conv2d({..., bias, activation: "relu"}), but tfjs only fuses
 * outside gradient recording: while training it runs Conv2D, then Add (bias), then Relu, and in
 * the backward pass Relu's gradient, a Sum over dy for the bias gradient and the two convolution
 * gradients; every step is a full pass over the activation (for the first layer 1.4 M floats).
 * While "native" is active and gradients are being recorded, this replaces tf.fused.conv2d with
 * one kernel, FmnistConvBiasAct (oneDNN convolution with the bias and a ReLU post-op, one pass),
 * whose gradient is two kernels: the filter gradient computes the bias gradient in the same oneDNN
 * pass (and masks dy by y > 0 on the fly), the input gradient runs only when something upstream
 * needs it (never for the first layer). Everything else (other backends, inference, dilations,
 * other activations, NCHW) goes to the original function.
 */

import * as tf from "@tensorflow/tfjs";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import type { NativeAddon } from "./addon";
import { alloc, BACKEND_NAME, convParams, kernelStats } from "./kernels";

export const CONV_FUSED = "FmnistConvBiasAct";
export const CONV_FUSED_GRAD_FILTER = "FmnistConvBiasActBackpropFilter";
export const CONV_FUSED_GRAD_INPUT = "FmnistConvBiasActBackpropInput";

type TensorInfo = tf.TensorInfo;
interface FusedAttrs {
  strides: [number, number] | number;
  pad: "valid" | "same" | number;
  dimRoundingMode?: "floor" | "round" | "ceil";
  /** 0 = linear, 1 = relu */
  act: number;
  hasBias: boolean;
}

function convInfo(xShape: number[], filterShape: number[], a: FusedAttrs) {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
    false,
    "channelsLast",
  );
}

/** The addon's conv parameters; convInfo always asks for channelsLast, so they always exist. */
const fusedConvParams = (c: ReturnType<typeof convInfo>): Int32Array => convParams(c)!;

const vals = (b: MathBackendCPU, t: TensorInfo) => b.data.get(t.dataId).values as Float32Array;
const counted = (name: string) => kernelStats.native.set(name, (kernelStats.native.get(name) ?? 0) + 1);

export function fusedConvKernels(addon: NativeAddon): tf.KernelConfig[] {
  return [
    {
      kernelName: CONV_FUSED,
      backendName: BACKEND_NAME,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const b = backend as MathBackendCPU;
        const { x, filter, bias } = inputs as Record<string, TensorInfo | undefined>;
        const a = attrs as unknown as FusedAttrs;
        const info = convInfo(x!.shape, filter!.shape, a);
        const y = alloc(b, info.outShape.reduce((p, q) => p * q, 1));
        if (y.length > 0) addon.convFused(0, vals(b, x!), vals(b, filter!), bias ? vals(b, bias) : null, y, fusedConvParams(info), a.act);
        counted(CONV_FUSED);
        return b.makeTensorInfo(info.outShape, "float32", y);
      },
    },
    {
      kernelName: CONV_FUSED_GRAD_FILTER,
      backendName: BACKEND_NAME,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const b = backend as MathBackendCPU;
        const { x, dy, y } = inputs as Record<string, TensorInfo>;
        const a = attrs as unknown as FusedAttrs & { filterShape: number[] };
        const info = convInfo(x.shape, a.filterShape, a);
        const dw = alloc(b, a.filterShape.reduce((p, q) => p * q, 1));
        const db = a.hasBias ? alloc(b, info.outChannels) : null;
        if (dy.shape.reduce((p, q) => p * q, 1) > 0 && x.shape.reduce((p, q) => p * q, 1) > 0) {
          addon.convFused(2, vals(b, x), vals(b, dy), vals(b, y), dw, fusedConvParams(info), a.act, db);
        } else {
          dw.fill(0);
          db?.fill(0);
        }
        counted(CONV_FUSED_GRAD_FILTER);
        const outs = [b.makeTensorInfo([...a.filterShape], "float32", dw)];
        if (db) outs.push(b.makeTensorInfo([info.outChannels], "float32", db));
        return outs;
      },
    },
    {
      kernelName: CONV_FUSED_GRAD_INPUT,
      backendName: BACKEND_NAME,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const b = backend as MathBackendCPU;
        const { dy, filter, y } = inputs as Record<string, TensorInfo>;
        const a = attrs as unknown as FusedAttrs & { inputShape: number[] };
        const info = convInfo(a.inputShape, filter.shape, a);
        const dx = alloc(b, a.inputShape.reduce((p, q) => p * q, 1));
        if (dy.shape.reduce((p, q) => p * q, 1) > 0) addon.convFused(1, vals(b, dy), vals(b, filter), vals(b, y), dx, fusedConvParams(info), a.act);
        else dx.fill(0);
        counted(CONV_FUSED_GRAD_INPUT);
        return b.makeTensorInfo([...a.inputShape], "float32", dx);
      },
    },
  ];
}

const REGISTERED = Symbol.for("fmnist.nativeFusedConv");
let enabled = true;

/** Turns the fused training path on or off (the patch stays installed). */
export function setFusedConv(on: boolean): void {
  enabled = on;
}

type FusedConvArgs = Parameters<typeof tf.fused.conv2d>[0];

/** Registers the gradient and patches tf.fused.conv2d (idempotent). */
export function installFusedConv(): void {
  const g = globalThis as unknown as Record<symbol, boolean>;
  if (g[REGISTERED]) return;
  g[REGISTERED] = true;

  tf.registerGradient({
    kernelName: CONV_FUSED,
    inputsToSave: ["x", "filter"],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter, y] = saved;
      const a = attrs as unknown as FusedAttrs;
      // Filter (and bias) gradient eagerly, in one kernel; the input gradient lazily, so it is
      // never computed for the first layer (whose input needs no gradient).
      const grads = tf.engine().runKernel(CONV_FUSED_GRAD_FILTER, { x, dy: dy as tf.Tensor, y }, {
        ...a,
        filterShape: filter.shape,
      } as unknown as tf.NamedAttrMap) as tf.Tensor[];
      const out: Record<string, () => tf.Tensor> = {
        x: () =>
          tf.engine().runKernel(CONV_FUSED_GRAD_INPUT, { dy: dy as tf.Tensor, filter, y }, {
            ...a,
            inputShape: x.shape,
          } as unknown as tf.NamedAttrMap) as tf.Tensor,
        filter: () => grads[0],
      };
      if (a.hasBias) out.bias = () => grads[1];
      return out;
    },
  });

  const fused = tf.fused as unknown as { conv2d: (args: FusedConvArgs) => tf.Tensor };
  const original = fused.conv2d;
  fused.conv2d = function conv2d(args: FusedConvArgs) {
    const route = enabled && tf.getBackend() === BACKEND_NAME && tf.engine().state.gradientDepth > 0 ? plan(args) : undefined;
    if (!route) return original(args);
    return tf.engine().runKernel(CONV_FUSED, route.inputs, route.attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
  };
}

/** The fused kernel's inputs and attributes, or undefined when the call is not one it covers. */
function plan(args: FusedConvArgs): { inputs: tf.NamedTensorMap; attrs: FusedAttrs } | undefined {
  const { x, filter, strides, pad, dataFormat = "NHWC", dilations = [1, 1], dimRoundingMode, bias, activation = "linear", preluActivationWeights } = args;
  if (!(x instanceof tf.Tensor) || !(filter instanceof tf.Tensor)) return undefined;
  if (x.rank !== 4 || filter.rank !== 4 || x.dtype !== "float32" || filter.dtype !== "float32") return undefined;
  if (dataFormat !== "NHWC" || preluActivationWeights) return undefined;
  if (!(dilations === 1 || (Array.isArray(dilations) && dilations.every((d) => d === 1)))) return undefined;
  if (activation !== "relu" && activation !== "linear") return undefined;
  if (x.shape[3] !== filter.shape[2]) return undefined;
  if (typeof pad !== "string" && typeof pad !== "number") return undefined;
  const inputs: tf.NamedTensorMap = { x, filter };
  if (bias != null) {
    if (!(bias instanceof tf.Tensor) || bias.dtype !== "float32" || bias.rank !== 1 || bias.shape[0] !== filter.shape[3]) return undefined;
    inputs.bias = bias;
  }
  return {
    inputs,
    attrs: { strides, pad: pad as FusedAttrs["pad"], dimRoundingMode, act: activation === "relu" ? 1 : 0, hasBias: bias != null },
  };
}
