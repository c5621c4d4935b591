// Salient-object segmentation for real photos: IS-Net (Qin et al., "Highly Accurate Dichotomous
// Image Segmentation", ECCV 2022; weights MIT-licensed by its authors) as IMG.LY ship it in the npm
// package @imgly/background-removal-data (int8-quantised, 44 MB), run by onnxruntime-web (WebAssembly,
// the same runtime in Node and in the browser, so the page, the endpoint and bench:photos get the
// same mask). Nothing is downloaded at run time: the weights are in node_modules.
//
// The shipped graph takes exactly 1024x1024 (about 9 s a picture on one core here), because every
// upsampling in it was traced with constant output sizes. freeInputSize (./salient-graph) turns
// those sizes into scales, so the graph takes any side that is a multiple of 64; at SALIENT_SIDE it
// costs about 2 s.
// Imported as @fmnist/model/salient, so apps that do not use it do not bundle onnxruntime.
import * as ort from "onnxruntime-web/wasm";
import type { ObjectMap } from "./segment";

/** The side the picture is scaled to for IS-Net: a multiple of 64, above the 192-px working copy of
 * segmentForeground. The network was trained at 1024; at 320 it sees items 3.2 times smaller than
 * it learnt them, and its masks are worse: bench:photos (IS-Net alone, two classifiers) 70.6/70.6%
 * top-1 at 320, 73.5/71.8% at 512, 71.8/71.2% at 640, for 1.0, 2.5 and 3.7 s a photo (one core,
 * loaded machine). */
export const SALIENT_SIDE = 512;

export interface SalientSegmenter {
  /** The probability that each pixel belongs to the main object, on a square grid of the
   * segmenter's side (SALIENT_SIDE unless set) stretched over the picture. */
  map(rgba: Uint8ClampedArray | Uint8Array, width: number, height: number): Promise<ObjectMap>;
  /** Frees the WebAssembly session. */
  release(): Promise<void>;
}

export interface SalientOptions {
  /** Where onnxruntime-web finds its .wasm and .mjs files (the browser; Node finds them itself). */
  wasmPaths?: string;
  /** WebAssembly threads (default 1: the machines here have two cores and other work on them). */
  threads?: number;
  /** The side the picture is scaled to (default SALIENT_SIDE): a multiple of 64, as the graph
   * halves it six times and joins each level with the one above. */
  side?: number;
}

/** A segmenter on a graph already passed through freeInputSize. */
export async function createSalientSegmenter(model: Uint8Array, options: SalientOptions = {}): Promise<SalientSegmenter> {
  const side = options.side ?? SALIENT_SIDE;
  if (!Number.isInteger(side) || side < 64 || side % 64 !== 0) throw new Error(`IS-Net's side must be a positive multiple of 64, not ${side}`);
  if (options.wasmPaths) ort.env.wasm.wasmPaths = options.wasmPaths;
  ort.env.wasm.numThreads = options.threads ?? 1;
  ort.env.logLevel = "error";
  const session = await ort.InferenceSession.create(model, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
  const inputName = session.inputNames[0];
  const outputName = session.outputNames[0];
  return {
    async map(rgba, width, height) {
      const x = new Float32Array(3 * side * side);
      // Bilinear sampling, as IMG.LY resize for it; their normalisation, (v - 128) / 256;
      // transparency over white, as segmentForeground treats it.
      for (let ty = 0; ty < side; ty++) {
        const sy = Math.min(height - 1, Math.max(0, ((ty + 0.5) * height) / side - 0.5));
        const y0 = Math.floor(sy);
        const y1 = Math.min(height - 1, y0 + 1);
        const fy = sy - y0;
        for (let tx = 0; tx < side; tx++) {
          const sx = Math.min(width - 1, Math.max(0, ((tx + 0.5) * width) / side - 0.5));
          const x0 = Math.floor(sx);
          const x1 = Math.min(width - 1, x0 + 1);
          const fx = sx - x0;
          for (let c = 0; c < 3; c++) {
            const at = (px: number, py: number) => {
              const i = (py * width + px) * 4;
              const a = rgba[i + 3] / 255;
              return rgba[i + c] * a + 255 * (1 - a);
            };
            const v = (at(x0, y0) * (1 - fx) + at(x1, y0) * fx) * (1 - fy) + (at(x0, y1) * (1 - fx) + at(x1, y1) * fx) * fy;
            x[c * side * side + ty * side + tx] = (v - 128) / 256;
          }
        }
      }
      const out = await session.run({ [inputName]: new ort.Tensor("float32", x, [1, 3, side, side]) }, [outputName]);
      const t = out[outputName];
      const data = new Float32Array(t.data as Float32Array);
      t.dispose();
      return { data, w: side, h: side };
    },
    release: () => session.release(),
  };
}
