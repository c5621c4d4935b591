/**
 * Training kernels for the tfjs `wasm` backend (tfjs 4.22).
 *
 * Out of the box the wasm backend cannot train convolutions: `Conv2DBackpropFilter` is not
 * registered (tensorflow/tfjs#8474). Other kernels a CNN's training needs are there but
 * pathologically slow or wrong: `Conv2DBackpropInput` is a naive C++ loop, `MaxPoolGrad` a scalar
 * loop that also mishandles overlapping/'same' windows, `BatchMatMul` / `_FusedMatMul` with
 * `transposeA`/`transposeB` take a scalar path (~20-100x slower), and `Sum` over leading axes (bias
 * gradients) transposes the whole tensor first. This module registers replacements for `wasm`,
 * composed inside the kernel function from the backend's own XNNPACK-backed kernels (Conv2D,
 * BatchMatMul, MaxPool, AvgPool, elementwise ops), called directly at the backend level; the only JS
 * work is memcpy of contiguous rows. Intermediates are freed before the kernel returns.
 *
 * - Conv2DBackpropFilter: im2col (Conv2D with an identity filter) + one GEMM for short patches
 *   (first layers), else one Conv2D of x^T [Cin,H,W,B] with dy^T [OH,OW,B,Cout] as the filter.
 * - Conv2DBackpropInput: one GEMM per filter tap, scattered back by padding + AddN (Cin >= 8), else
 *   one Conv2D of (zero-inserted) dy with the flipped filter.
 * - MaxPoolGrad: first-maximum mask from MaxPool + broadcasting Sub/Step (exact TF semantics).
 * - BatchMatMul / _FusedMatMul with transposes: explicit Transpose, then the fast path.
 * - Sum over leading axes: AvgPool over a [1,M,1,C] view, times M.
 *
 * Usage (see also select-backend.ts): `registerWasmGradientKernels()` (idempotent), then
 * `await tf.setBackend('wasm'); await tf.ready()`. Registering after the backend started also works.
 */
import * as tf from "@tensorflow/tfjs";
// Side effect: registers the `wasm` backend and its kernels, so the originals exist before we wrap them.
import "@tensorflow/tfjs-backend-wasm";

type TensorInfo = tf.TensorInfo;
type DataId = TensorInfo["dataId"];
type KernelFunc = tf.KernelFunc;

const BACKEND = "wasm";
/** Marks our kernel functions so a second registration (or a second copy of this module) is a no-op. */
const MARK = Symbol.for("fmnist.wasmGradientKernel");

interface WasmBackendLike {
  disposeData(dataId: DataId, force?: boolean): boolean;
}

type Conv4 = [number, number, number, number];

/** Runs a registered wasm kernel directly on the backend (no engine bookkeeping, no tape). */
function runWasm(
  name: string,
  backend: unknown,
  // Concat / AddN take an array of inputs, as in the tfjs ops.
  inputs: Record<string, TensorInfo>,
  attrs: object = {},
): TensorInfo {
  const kernel = tf.getKernel(name, BACKEND);
  if (!kernel) throw new Error(`wasm-gradients: kernel '${name}' is not registered for backend 'wasm'`);
  return kernel.kernelFunc({ inputs, backend: backend as never, attrs: attrs as never }) as TensorInfo;
}

/** Collects intermediate TensorInfos made inside one kernel call and frees them at the end. */
class Scope {
  private readonly temps: TensorInfo[] = [];
  constructor(readonly backend: unknown) {}
  run(name: string, inputs: Record<string, TensorInfo>, attrs: object = {}): TensorInfo {
    const out = runWasm(name, this.backend, inputs, attrs);
    this.temps.push(out);
    return out;
  }
  adopt(t: TensorInfo): TensorInfo {
    this.temps.push(t);
    return t;
  }
  /** Frees every temporary except `keep` (the kernel's result, which the engine takes over). */
  close(keep?: TensorInfo): void {
    for (const t of this.temps) {
      if (t !== keep) (this.backend as WasmBackendLike).disposeData(t.dataId);
    }
    this.temps.length = 0;
  }
}

function transpose(s: Scope, x: TensorInfo, perm: number[]): TensorInfo {
  return s.run("Transpose", { x }, { perm });
}

interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: string, memoryOffset?: number, values?: Float32Array): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/**
 * A contiguous block of x (elements [offset, offset + size(shape))) as a new tensor: one memcpy.
 * (The wasm Slice kernel first copies the *whole* input out of the heap, on every call.)
 */
function contiguousBlock(s: Scope, x: TensorInfo, offset: number, shape: number[]): TensorInfo {
  const b = s.backend as WasmHeapBackend;
  const out = s.adopt(b.makeOutput(shape, x.dtype));
  const n = tf.util.sizeFromShape(shape);
  b.typedArrayFromHeap(out).set(b.typedArrayFromHeap(x).subarray(offset, offset + n));
  return out;
}

/**
 * x[:, top:top+h, left:left+w, :] of an NHWC tensor, copied row by row (one memcpy per output row)
 * straight from the wasm heap.
 */
function cropHW(s: Scope, x: TensorInfo, top: number, left: number, h: number, w: number): TensorInfo {
  const [n, xh, xw, c] = x.shape;
  if (top === 0 && left === 0 && h === xh && w === xw) return x;
  if (top < 0 || left < 0 || top + h > xh || left + w > xw || h <= 0 || w <= 0) {
    throw new Error(`wasm-gradients: bad crop [${top}+${h}, ${left}+${w}] of ${x.shape}`);
  }
  const b = s.backend as WasmHeapBackend;
  const out = s.adopt(b.makeOutput([n, h, w, c], x.dtype));
  const src = b.typedArrayFromHeap(x);
  const dst = b.typedArrayFromHeap(out);
  const row = w * c;
  let o = 0;
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < h; r++) {
      const start = ((i * xh + top + r) * xw + left) * c;
      dst.set(src.subarray(start, start + row), o);
      o += row;
    }
  }
  return out;
}

/** Pads (positive) or crops (negative) the H and W axes of an NHWC tensor. */
function padOrCropHW(s: Scope, x: TensorInfo, top: number, bottom: number, left: number, right: number): TensorInfo {
  let out = x;
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const [, h, w] = out.shape;
    const t = Math.max(0, -top);
    const l = Math.max(0, -left);
    out = cropHW(s, out, t, l, h - t - Math.max(0, -bottom), w - l - Math.max(0, -right));
  }
  if (top > 0 || bottom > 0 || left > 0 || right > 0) {
    const p = (v: number) => Math.max(0, v);
    out = s.run(
      "PadV2",
      { x: out },
      { paddings: [[0, 0], [p(top), p(bottom)], [p(left), p(right)], [0, 0]], constantValue: 0 },
    );
  }
  return out;
}

/** Inserts (sh-1) zero rows and (sw-1) zero columns between the pixels of an NHWC tensor. */
function zeroInsert(s: Scope, x: TensorInfo, sh: number, sw: number): TensorInfo {
  if (sh === 1 && sw === 1) return x;
  const [n, h, w, c] = x.shape;
  const r = s.run("Reshape", { x }, { shape: [n, h, 1, w, 1, c] });
  const padded = s.run("PadV2", { x: r }, {
    paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]],
    constantValue: 0,
  });
  const flat = s.run("Reshape", { x: padded }, { shape: [n, h * sh, w * sw, c] });
  return cropHW(s, flat, 0, 0, (h - 1) * sh + 1, (w - 1) * sw + 1);
}

function toNHWC(s: Scope, x: TensorInfo, dataFormat: string | undefined): TensorInfo {
  return dataFormat === "NCHW" ? transpose(s, x, [0, 2, 3, 1]) : x;
}

function convInfoFor(
  xShape: Conv4,
  filterShape: Conv4,
  attrs: { strides: number | [number, number]; pad: unknown; dimRoundingMode?: "floor" | "round" | "ceil" },
) {
  return tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    attrs.strides,
    1,
    attrs.pad as "valid",
    attrs.dimRoundingMode,
    false,
    "channelsLast",
  );
}

interface ConvGradAttrs {
  strides: number | [number, number];
  pad: unknown;
  dataFormat?: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
}

/** Filter-gradient strategy: im2col + one GEMM when the patch is short (first layers), else one Conv2D. */
const IM2COL_MAX_PATCH = 32;
/** Input-gradient strategy: one GEMM per filter tap when Cin is large enough for an efficient GEMM. */
const PER_TAP_MIN_CIN = 8;

/**
 * Conv2DBackpropFilter: dW[kh,kw,ci,co] = sum_{b,oh,ow} x[b, oh*sh+kh-top, ow*sw+kw-left, ci] * dy[b,oh,ow,co].
 *
 * - Short patches (KH*KW*Cin <= 32, e.g. the first layer): im2col P = Conv2D(x, identity filter)
 *   ([B*OH*OW, KH*KW*Cin], any stride/padding), then dW^T = dy^T P (one GEMM, P as its packed operand).
 * - Otherwise: one Conv2D of x^T ([Cin,H,W,B]: Cin as the batch, B as the channels) with dy^T
 *   ([OH,OW,B,Cout] as the filter, taps `stride` apart = dilation) -> [Cin,KH,KW,Cout].
 */
const conv2DBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const a = attrs as unknown as ConvGradAttrs & { filterShape: Conv4 };
  const s = new Scope(backend);
  try {
    const x4 = toNHWC(s, x, a.dataFormat);
    const dy4 = toNHWC(s, dy, a.dataFormat);
    const [kh, kw, cin, cout] = a.filterShape;
    const info = convInfoFor(x4.shape as Conv4, a.filterShape, a);
    const { strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = info;
    const { top, left } = info.padInfo;
    const [b, h, w] = x4.shape;
    if (dy4.shape[1] !== oh || dy4.shape[2] !== ow || dy4.shape[3] !== cout || x4.shape[3] !== cin) {
      throw new Error(`Conv2DBackpropFilter: x ${x4.shape} / dy ${dy4.shape} do not match filter ${a.filterShape}`);
    }
    const patch = kh * kw * cin;
    let dw: TensorInfo;
    if (patch <= IM2COL_MAX_PATCH) {
      const eye = new Float32Array(patch * patch);
      for (let i = 0; i < patch; i++) eye[i * patch + i] = 1;
      const id = constant(s, [kh, kw, cin, patch], eye);
      const { bottom, right } = info.padInfo;
      const p = s.run("Conv2D", { x: x4, filter: id }, {
        strides: [sh, sw],
        pad: [[0, 0], [top, bottom], [left, right], [0, 0]],
        dataFormat: "NHWC",
        dilations: [1, 1],
      }); // [B,OH,OW,patch]
      const m = b * oh * ow;
      const p2 = s.run("Reshape", { x: p }, { shape: [m, patch] });
      const dy2 = s.run("Reshape", { x: dy4 }, { shape: [m, cout] });
      const dyT = transpose(s, dy2, [1, 0]); // [Cout, M]
      const dwT = s.run("BatchMatMul", { a: dyT, b: p2 }, { transposeA: false, transposeB: false }); // [Cout, patch]
      const dw2 = transpose(s, s.run("Reshape", { x: dwT }, { shape: [cout, patch] }), [1, 0]);
      dw = s.run("Reshape", { x: dw2 }, { shape: [kh, kw, cin, cout] });
    } else {
      // Rows of the padded input the windows reach: H + top + bottom - ((OH-1)*sh + 1) + 1 = KH.
      const bottom = kh + (oh - 1) * sh - h - top;
      const right = kw + (ow - 1) * sw - w - left;
      const xT = transpose(s, x4, [3, 1, 2, 0]); // [Cin,H,W,B]
      const dyT = transpose(s, dy4, [1, 2, 0, 3]); // [OH,OW,B,Cout]
      // Crop where the forward conv never reached; pad the rest explicitly.
      const xC = padOrCropHW(s, xT, Math.min(top, 0), Math.min(bottom, 0), Math.min(left, 0), Math.min(right, 0));
      const pad = [[0, 0], [Math.max(top, 0), Math.max(bottom, 0)], [Math.max(left, 0), Math.max(right, 0)], [0, 0]];
      const dwT = s.run("Conv2D", { x: xC, filter: dyT }, {
        strides: [1, 1],
        pad,
        dataFormat: "NHWC",
        dilations: [sh, sw],
      }); // [Cin,KH,KW,Cout]
      dw = transpose(s, dwT, [1, 2, 0, 3]); // [KH,KW,Cin,Cout]
    }
    s.close(dw);
    return dw;
  } catch (e) {
    s.close();
    throw e;
  }
};

/**
 * Conv2DBackpropInput: dx[b, oh*sh+kh-top, ow*sw+kw-left, ci] += sum_co dy[b,oh,ow,co] * W[kh,kw,ci,co].
 *
 * - Cin >= 8: per filter tap one GEMM dy[B*OH*OW,Cout] x W[kh,kw]^T[Cout,Cin], zero-inserted by the
 *   stride, padded into place, AddN, then the forward padding cropped off (no multiply-adds on
 *   padding zeros; the wasm Reverse kernel is slow, so no filter flip either).
 * - Otherwise: one Conv2D of dy (zero-inserted for stride > 1) with the filter reversed in H and W and
 *   its channel axes swapped ([KH,KW,Cout,Cin]), padded by K-1-pad.
 */
const conv2DBackpropInput: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const a = attrs as unknown as ConvGradAttrs & { inputShape: Conv4 };
  const s = new Scope(backend);
  try {
    const nchw = a.dataFormat === "NCHW";
    const inShape = (nchw ? [a.inputShape[0], a.inputShape[2], a.inputShape[3], a.inputShape[1]] : a.inputShape) as Conv4;
    const dy4 = toNHWC(s, dy, a.dataFormat);
    const [kh, kw, cin, cout] = filter.shape;
    const info = convInfoFor(inShape, filter.shape as Conv4, a);
    const { strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = info;
    if (dy4.shape[1] !== oh || dy4.shape[2] !== ow || dy4.shape[3] !== cout) {
      throw new Error(`Conv2DBackpropInput: dy ${dy4.shape} does not match the forward output [${oh},${ow},${cout}]`);
    }
    const [b, h, w] = inShape;
    let dx: TensorInfo;
    if (cin >= PER_TAP_MIN_CIN) {
      const m = b * oh * ow;
      const dy2 = s.run("Reshape", { x: dy4 }, { shape: [m, cout] });
      const wT = transpose(s, filter, [0, 1, 3, 2]); // [KH,KW,Cout,Cin]
      const parts: TensorInfo[] = [];
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          const wk2 = contiguousBlock(s, wT, (i * kw + j) * cout * cin, [cout, cin]);
          const g = s.run("BatchMatMul", { a: dy2, b: wk2 }, { transposeA: false, transposeB: false });
          const g4 = s.run("Reshape", { x: g }, { shape: [b, oh, ow, cin] });
          const spread = zeroInsert(s, g4, sh, sw); // [B,(OH-1)*sh+1,(OW-1)*sw+1,Cin]
          parts.push(padOrCropHW(s, spread, i, kh - 1 - i, j, kw - 1 - j));
        }
      }
      // The canvas covers padded rows [0, (OH-1)*sh + KH); input row r sits at r + top.
      const full = parts.length === 1 ? parts[0] : s.run("AddN", parts as unknown as Record<string, TensorInfo>);
      const hp = (oh - 1) * sh + kh;
      const wp = (ow - 1) * sw + kw;
      const { top, left } = info.padInfo;
      dx = padOrCropHW(s, full, -top, h + top - hp, -left, w + left - wp);
    } else {
      const dyD = zeroInsert(s, dy4, sh, sw); // [B,(OH-1)*sh+1,(OW-1)*sw+1,Cout]
      const top = kh - 1 - info.padInfo.top;
      const left = kw - 1 - info.padInfo.left;
      const bottom = h + kh - 1 - dyD.shape[1] - top;
      const right = w + kw - 1 - dyD.shape[2] - left;
      const dyC = padOrCropHW(s, dyD, Math.min(top, 0), Math.min(bottom, 0), Math.min(left, 0), Math.min(right, 0));
      const pad = [[0, 0], [Math.max(top, 0), Math.max(bottom, 0)], [Math.max(left, 0), Math.max(right, 0)], [0, 0]];
      const rev = s.run("Reverse", { x: filter }, { dims: [0, 1] });
      const rot = transpose(s, rev, [0, 1, 3, 2]); // [KH,KW,Cout,Cin]
      dx = s.run("Conv2D", { x: dyC, filter: rot }, { strides: [1, 1], pad, dataFormat: "NHWC", dilations: [1, 1] });
    }
    if (nchw) dx = transpose(s, dx, [0, 3, 1, 2]);
    s.close(dx);
    return dx;
  } catch (e) {
    s.close();
    throw e;
  }
};

/** A constant float32 tensor owned by the scope. */
function constant(s: Scope, shape: number[], values: Float32Array): TensorInfo {
  return s.adopt((s.backend as WasmHeapBackend).makeOutput(shape, "float32", undefined, values));
}

/** 1 where v > 0, else 0. For v = a - b >= 0 this is exactly "a != b" (a float difference is 0
 * only for equal operands). */
function isPositive(s: Scope, v: TensorInfo): TensorInfo {
  return s.run("Step", { x: v }, { alpha: 0 });
}

/**
 * MaxPoolGrad with TensorFlow semantics (the whole gradient of a window goes to its first maximum,
 * row-major). The wasm kernel is a scalar loop (~55 ms for a [64,26,26,32] input) and, for
 * overlapping windows, disagrees with TensorFlow (drops gradients at 'same'-padded edges, breaks
 * ties differently); wasm's MaxPoolWithArgmax is wrong for some windows, and its Equal / Select /
 * Transpose are slow. So this uses only XNNPACK-backed kernels (MaxPool, broadcasting Sub/Mul, Step):
 *
 * Non-overlapping windows (stride == pool size, the usual case), x viewed as [N,ph,OW,pw,C]:
 *   y = maxpool(x); isMax = 1 - step(y - x)                          (exact equality)
 *   z = isMax * prio (prio = ph*pw for the first window position ... 1 for the last)
 *   first = 1 - step(maxpool(z) - z)                                  (the first maximum only)
 *   dx = first * dy
 * Overlapping windows: one strided slice per window offset, ArgMax over offsets, OneHot * dy, and
 * each offset's share scattered back by zero-insertion + padding + AddN (correct, not fast).
 * Both: x is first padded with -Infinity / cropped to exactly the pixels the windows cover.
 */
const maxPoolGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo; output: TensorInfo };
  const a = attrs as unknown as {
    filterSize: number | [number, number];
    strides: number | [number, number];
    pad: unknown;
    dimRoundingMode?: "floor" | "round" | "ceil";
  };
  const info = tf.backend_util.computePool2DInfo(
    input.shape as Conv4,
    a.filterSize,
    a.strides,
    1,
    a.pad as "valid",
    a.dimRoundingMode,
  );
  const { filterHeight: ph, filterWidth: pw, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = info;
  const s = new Scope(backend);
  try {
    const [b, h, w, c] = input.shape;
    const { top, left } = info.padInfo;
    // The windows cover exactly hp x wp pixels of the padded input.
    const hp = (oh - 1) * sh + ph;
    const wp = (ow - 1) * sw + pw;
    const bottom = hp - h - top;
    const right = wp - w - left;
    let x = padOrCropHW(s, input, Math.min(top, 0), Math.min(bottom, 0), Math.min(left, 0), Math.min(right, 0));
    const p = (v: number) => Math.max(0, v);
    if (p(top) || p(bottom) || p(left) || p(right)) {
      x = s.run("PadV2", { x }, {
        paddings: [[0, 0], [p(top), p(bottom)], [p(left), p(right)], [0, 0]],
        constantValue: Number.NEGATIVE_INFINITY,
      });
    }
    const k = ph * pw;
    const validPool = { filterSize: [ph, pw], strides: [sh, sw], pad: "valid", dimRoundingMode: undefined };

    let dx: TensorInfo; // [B, hp, wp, C]
    if (ph === sh && pw === sw) {
      const shape5 = [b * oh, ph, ow, pw, c];
      const x5 = s.run("Reshape", { x }, { shape: shape5 });
      const y = s.run("MaxPool", { x }, validPool);
      const y5 = s.run("Reshape", { x: y }, { shape: [b * oh, 1, ow, 1, c] });
      const notMax = isPositive(s, s.run("Sub", { a: y5, b: x5 }));
      const prio = constant(s, [1, ph, 1, pw, 1], Float32Array.from({ length: k }, (_, i) => k - i));
      const z = s.run("Sub", { a: prio, b: s.run("Multiply", { a: notMax, b: prio }) }); // isMax * prio
      const z4 = s.run("Reshape", { x: z }, { shape: [b, hp, wp, c] });
      const zMax = s.run("MaxPool", { x: z4 }, validPool);
      const zMax5 = s.run("Reshape", { x: zMax }, { shape: [b * oh, 1, ow, 1, c] });
      const notFirst = isPositive(s, s.run("Sub", { a: zMax5, b: z }));
      const dy5 = s.run("Reshape", { x: dy }, { shape: [b * oh, 1, ow, 1, c] });
      const g = s.run("Sub", { a: dy5, b: s.run("Multiply", { a: notFirst, b: dy5 }) }); // first * dy
      dx = s.run("Reshape", { x: g }, { shape: [b, hp, wp, c] });
    } else {
      const m = b * oh * ow * c;
      const cols: TensorInfo[] = [];
      for (let i = 0; i < ph; i++) {
        for (let j = 0; j < pw; j++) {
          const sl = s.run("StridedSlice", { x }, {
            begin: [0, i, j, 0],
            end: [b, i + (oh - 1) * sh + 1, j + (ow - 1) * sw + 1, c],
            strides: [1, sh, sw, 1],
            beginMask: 0,
            endMask: 0,
            ellipsisMask: 0,
            newAxisMask: 0,
            shrinkAxisMask: 0,
          });
          cols.push(s.run("Reshape", { x: sl }, { shape: [1, m] }));
        }
      }
      const kByM = s.run("Concat", cols as unknown as Record<string, TensorInfo>, { axis: 0 });
      const rows = transpose(s, kByM, [1, 0]); // [M, K]
      const idx = s.run("ArgMax", { x: rows }, { axis: 1 }); // first maximum
      // The wasm OneHot kernel always writes int32 values (whatever `dtype` says): cast explicitly.
      const hotI = s.run("OneHot", { indices: idx }, { depth: k, onValue: 1, offValue: 0, dtype: "int32" });
      const hot = s.run("Cast", { x: hotI }, { dtype: "float32" });
      const dyCol = s.run("Reshape", { x: dy }, { shape: [m, 1] });
      const gT = transpose(s, s.run("Multiply", { a: hot, b: dyCol }), [1, 0]); // [K, M]
      const parts: TensorInfo[] = [];
      for (let i = 0; i < ph; i++) {
        for (let j = 0; j < pw; j++) {
          const g4 = contiguousBlock(s, gT, (i * pw + j) * m, [b, oh, ow, c]);
          const spread = zeroInsert(s, g4, sh, sw); // [B,(OH-1)*sh+1,(OW-1)*sw+1,C]
          parts.push(padOrCropHW(s, spread, i, ph - 1 - i, j, pw - 1 - j));
        }
      }
      dx = s.run("AddN", parts as unknown as Record<string, TensorInfo>);
    }
    // Undo the padding / cropping: padded pixels get no gradient, cropped ones get zero.
    if (top !== 0 || bottom !== 0 || left !== 0 || right !== 0) {
      dx = padOrCropHW(s, dx, -top, -bottom, -left, -right);
    }
    s.close(dx);
    return dx;
  } catch (e) {
    s.close();
    throw e;
  }
};

/**
 * Sum over the leading axes (bias gradients: [B,H,W,C] -> [C]). The wasm kernel first transposes
 * the reduced axes innermost (a full copy, ~4 ms for [64,26,26,32]); XNNPACK average pooling over
 * a [1, M, 1, C] view does the same reduction in ~0.3 ms. Everything else goes to the original.
 */
function makeSum(original: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { x } = inputs as { x: TensorInfo };
    const { axis, keepDims } = attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const rank = x.shape.length;
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((p, q) => p - q);
    const leading = axes.length > 0 && axes.length < rank && axes.every((v, i) => v === i);
    const m = tf.util.sizeFromShape(x.shape.slice(0, axes.length));
    if (x.dtype !== "float32" || !leading || m < 64) return original(args);
    const s = new Scope(backend);
    try {
      const kept = x.shape.slice(axes.length);
      const c = tf.util.sizeFromShape(kept);
      const x4 = s.run("Reshape", { x }, { shape: [1, m, 1, c] });
      const avg = s.run("AvgPool", { x: x4 }, { filterSize: [m, 1], strides: [1, 1], pad: "valid" });
      const total = s.run("Multiply", { a: avg, b: constant(s, [], Float32Array.of(m)) });
      const outShape = keepDims ? [...axes.map(() => 1), ...kept] : kept;
      const out = s.run("Reshape", { x: total }, { shape: outShape });
      s.close(out);
      return out;
    } catch (e) {
      s.close();
      throw e;
    }
  };
}

/** Rough per-element costs (ns) on wasm: a Transpose, and XNNPACK packing the right-hand operand. */
const TRANSPOSE_COST = 2;
const PACK_COST = 9;

/**
 * Wraps a matmul kernel: the wasm kernel's transposed path is a scalar loop (~20-100x slower), so
 * transposed operands are transposed explicitly and the original runs without transposes. XNNPACK
 * packs the right-hand operand on every call (the weights of a new operator), so for a plain
 * BatchMatMul (no bias, one batch) it may instead compute C^T = op(B)^T op(A)^T and transpose C^T,
 * when that moves fewer elements (dense-layer input gradients: dy x W^T packs dy^T, not W^T).
 */
function withExplicitTranspose(original: KernelFunc, allowSwap: boolean): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { transposeA, transposeB } = attrs as unknown as { transposeA?: boolean; transposeB?: boolean };
    if (!transposeA && !transposeB) return original({ inputs, backend, attrs });
    const s = new Scope(backend);
    try {
      const swapLast = (t: TensorInfo) => {
        const perm = t.shape.map((_, i) => i);
        const r = perm.length;
        [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
        return transpose(s, t, perm);
      };
      const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
      const ra = a.shape.length;
      const rb = b.shape.length;
      const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
      const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
      const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
      const oneBatch = tf.util.sizeFromShape(a.shape.slice(0, -2)) === 1 && tf.util.sizeFromShape(b.shape.slice(0, -2)) === 1;
      const direct = (transposeA ? m * k : 0) * TRANSPOSE_COST + (transposeB ? k * n : 0) * TRANSPOSE_COST + k * n * PACK_COST;
      const swapped =
        (transposeB ? 0 : k * n) * TRANSPOSE_COST + (transposeA ? 0 : m * k) * TRANSPOSE_COST + m * k * PACK_COST + m * n * TRANSPOSE_COST;
      let out: TensorInfo;
      if (allowSwap && oneBatch && Object.keys(inputs).length === 2 && swapped < direct) {
        const a2 = s.run("Reshape", { x: a }, { shape: transposeA ? [k, m] : [m, k] });
        const b2 = s.run("Reshape", { x: b }, { shape: transposeB ? [n, k] : [k, n] });
        const lhs = transposeB ? b2 : transpose(s, b2, [1, 0]); // op(B)^T [N, K]
        const rhs = transposeA ? a2 : transpose(s, a2, [1, 0]); // op(A)^T [K, M]
        const cT = original({ inputs: { a: lhs, b: rhs }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } as never }) as TensorInfo;
        s.adopt(cT);
        const c = transpose(s, s.run("Reshape", { x: cT }, { shape: [n, m] }), [1, 0]);
        const outShape = [...tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2)), m, n];
        out = s.run("Reshape", { x: c }, { shape: outShape });
      } else {
        const newInputs = { ...inputs, a: transposeA ? swapLast(a) : a, b: transposeB ? swapLast(b) : b };
        out = original({
          inputs: newInputs,
          backend,
          attrs: { ...attrs, transposeA: false, transposeB: false } as never,
        }) as TensorInfo;
      }
      s.close(out);
      return out;
    } catch (e) {
      s.close();
      throw e;
    }
  };
}

function isOurs(name: string): boolean {
  const k = tf.getKernel(name, BACKEND);
  return !!k && (k.kernelFunc as unknown as Record<symbol, unknown>)[MARK] === true;
}

function mark(f: KernelFunc): KernelFunc {
  (f as unknown as Record<symbol, unknown>)[MARK] = true;
  return f;
}

/** Replaces (or adds) a wasm kernel; keeps the original's setup/dispose functions. */
function install(name: string, make: (original: tf.KernelConfig | undefined) => KernelFunc): void {
  if (isOurs(name)) return;
  const original = tf.getKernel(name, BACKEND);
  if (original) tf.unregisterKernel(name, BACKEND); // avoids the "already registered" warning
  tf.registerKernel({
    kernelName: name,
    backendName: BACKEND,
    setupFunc: original?.setupFunc,
    disposeFunc: original?.disposeFunc,
    kernelFunc: mark(make(original)),
  });
}

/** The kernels this module installs for the `wasm` backend. */
export const WASM_GRADIENT_KERNELS = [
  "Conv2DBackpropFilter",
  "Conv2DBackpropInput",
  "MaxPoolGrad",
  "Sum",
  "BatchMatMul",
  "_FusedMatMul",
] as const;

/**
 * Registers fast training kernels for the `wasm` backend. Idempotent. Call it before
 * `tf.setBackend('wasm')` (it also works afterwards: none of the new kernels needs a setup step).
 */
export function registerWasmGradientKernels(): void {
  install("Conv2DBackpropFilter", () => conv2DBackpropFilter);
  install("Conv2DBackpropInput", () => conv2DBackpropInput);
  install("MaxPoolGrad", () => maxPoolGrad);
  install("Sum", (original) => {
    if (!original) throw new Error("wasm-gradients: the wasm backend has no 'Sum' kernel to wrap");
    return makeSum(original.kernelFunc);
  });
  for (const name of ["BatchMatMul", "_FusedMatMul"]) {
    install(name, (original) => {
      if (!original) throw new Error(`wasm-gradients: the wasm backend has no '${name}' kernel to wrap`);
      return withExplicitTranspose(original.kernelFunc, name === "BatchMatMul");
    });
  }
}

/** True when this module's kernels are the ones registered for `wasm`. */
export function wasmGradientKernelsRegistered(): boolean {
  return WASM_GRADIENT_KERNELS.every(isOurs);
}
