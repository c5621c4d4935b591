// Messages between the classify page and its worker (classify.worker.ts). The worker owns tfjs, the
// model and the image decoding, so the page's bundle never contains tfjs and a big decode or a
// whole-test-set run never blocks the page.

export type Backend = "webgl" | "wasm" | "cpu";
export const BACKENDS: readonly Backend[] = ["webgl", "wasm", "cpu"];

/** How the item is found in a photo: "border", the background modelled from the picture's border
 * (instant, in the page's own code); "isnet", IS-Net's salient-object mask (a 44 MB network, run by
 * onnxruntime-web at 512x512, about two seconds a photo), the default: measured best on the real
 * photos with two models (bench:photos: 73.5% and 71.8% top-1, against 71.8% and 68.2% for "both"
 * and 64.7% and 64.1% for the border model); "both", the model's probabilities for the two views
 * averaged. When IS-Net cannot be fetched, the border model's view answers and says so. The
 * prediction API's :classify takes the same values and has the same default. */
export const SEGMENTATIONS = ["border", "isnet", "both"] as const;
export type Segmentation = (typeof SEGMENTATIONS)[number];
export const DEFAULT_SEGMENTATION: Segmentation = "isnet";
export const SEGMENTATION_LABELS: Record<Segmentation, string> = { border: "border model", isnet: "IS-Net network", both: "both, averaged" };

export type ClassifyErrorKind = "not-image" | "corrupt" | "too-large" | "model" | "no-model" | "test-set" | "cancelled" | "internal";

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export type WorkerRequest =
  /** Load a tfjs LayersModel; `backend` null = the fastest that works (webgl, wasm, cpu). */
  | { type: "load"; id: number; modelUrl: string; backend: Backend | null; wasmPath: string }
  /** An image file (upload, drop, paste, a fetched test image). */
  | { type: "classify-file"; id: number; file: Blob; name: string; segmentation: Segmentation; segmenter: SegmenterFiles }
  /** Raw RGBA pixels (the drawing pad). */
  | { type: "classify-pixels"; id: number; rgba: Uint8ClampedArray; width: number; height: number }
  | { type: "test-set"; id: number; url: string; batchSize: number }
  /** The saliency map of one class for a 28x28 input the worker classified. */
  | { type: "saliency"; id: number; input: Float32Array; classIndex: number }
  /** Stop request `id` (a test-set run) at its next batch. */
  | { type: "cancel"; id: number };

/** Where the worker fetches IS-Net's graph and onnxruntime-web's WebAssembly files. */
export interface SegmenterFiles {
  modelUrl: string;
  wasmPath: string;
}

export interface LoadedModel {
  backend: Backend;
  /** tf.loadLayersModel: fetching model.json and the weights, building the layers. */
  loadMs: number;
  /** The first predict, which compiles the WebGL shaders or warms the WASM kernels. */
  warmupMs: number;
  params: number;
  /** Why faster backends were skipped, if any were. */
  notes: string[];
  /** How predictions are explained: "grad-cam (layer)", "smoothgrad", or why not. */
  saliency: string;
}

export interface Classification {
  probabilities: number[];
  /** predict + reading the ten probabilities back, for one image. */
  inferenceMs: number;
  decodeMs: number;
  preprocessMs: number;
  /** How the item was found, and the segmentation network's time (0 for the border model; the
   * first photo also loads the network). */
  segmentation: Segmentation;
  /** Whose view is shown (box, input, heat map): for "both", the one that gives the averaged top
   * class the higher probability. */
  shownView: Exclude<Segmentation, "both">;
  /** With "isnet" or "both", why IS-Net could not be used (its download failed): the border
   * model's view alone was classified instead of no answer. */
  segmentationNote: string | null;
  segmentMs: number;
  /** The 28x28 input the model saw, [0,1], row-major. */
  input: Float32Array;
  /** The decoded picture (downscaled when large); null for raw pixels. */
  preview: ImageBitmap | null;
  /** Size of the original picture, and whether it was downscaled before preprocessing. */
  width: number;
  height: number;
  downscaled: boolean;
  inverted: boolean;
  box: Box;
  /** Whether the input was mirrored (a shoe turned heel-right, as Fashion-MNIST shows shoes). */
  mirrored: boolean;
  /** Fraction of the picture the item covers; 0 when nothing stood out from the background. */
  coverage: number;
  /** Which pixels drove the predicted class (null when the model cannot be explained). */
  saliency: Saliency | null;
  numTensors: number;
}

export interface Saliency {
  /** 784 values in [0,1] over the 28x28 input. */
  map: Float32Array;
  method: "grad-cam" | "layer-cam" | "smoothgrad";
  /** The layer Grad-CAM explains. */
  layer: string | null;
  classIndex: number;
  ms: number;
}

export interface TestSetResult {
  count: number;
  correct: number;
  /** 10x10 counts, rows = true class, columns = predicted class (as the trainer records it). */
  matrix: number[][];
  downloadMs: number;
  classifyMs: number;
  batchSize: number;
  numTensors: number;
}

export type WorkerResponse =
  | { type: "loaded"; id: number; model: LoadedModel }
  | { type: "classified"; id: number; result: Classification }
  | { type: "progress"; id: number; done: number; total: number }
  | { type: "test-set-done"; id: number; result: TestSetResult }
  | { type: "saliency-done"; id: number; result: Saliency }
  | { type: "error"; id: number; kind: ClassifyErrorKind; message: string };

/** An error the page shows as it is. */
export class ClassifyError extends Error {
  constructor(
    readonly kind: ClassifyErrorKind,
    message: string,
  ) {
    super(message);
  }
}
