/// <reference lib="webworker" />
// The classify page's worker: owns tfjs and the loaded model, decodes and preprocesses pictures
// and runs inference, so that neither a large decode nor the whole test set blocks the page.
import { IMAGE_PIXELS, IMAGE_SIZE, toUnitPixels } from "@fmnist/data/image";
import { argmax, planSaliency, preprocessPhoto, type SaliencyPlan, saliency } from "@fmnist/model";
import type { SalientSegmenter } from "@fmnist/model/salient";
import * as tf from "@tensorflow/tfjs";
import { checkedFetch, chooseBackend, message } from "./backend";
import { decodeImage, pixelsOf } from "./decode";
import { type Classification, ClassifyError, type LoadedModel, type Saliency, type SegmenterFiles, type TestSetResult, type WorkerRequest, type WorkerResponse } from "./protocol";
import { decodeTestSet } from "./test-set-format";

declare const self: DedicatedWorkerGlobalScope;

const PIXELS = IMAGE_PIXELS;
let model: tf.LayersModel | null = null;
let plan: SaliencyPlan | null = null;
let planNote = "";
const cancelled = new Set<number>();

let segmenter: Promise<SalientSegmenter> | null = null;

/** IS-Net, loaded on the first photo that asks for it: the graph (44 MB, prepared by the server)
 * and onnxruntime-web, imported only then so that pages that never use it do not load it. */
function loadSegmenter(files: SegmenterFiles): Promise<SalientSegmenter> {
  segmenter ??= (async () => {
    let res: Response;
    try {
      res = await fetch(files.modelUrl);
    } catch (e) {
      throw new ClassifyError("model", `The segmentation network could not be downloaded: ${message(e)}`);
    }
    if (!res.ok) {
      const body = (await res.json().catch(() => null)) as { error?: string } | null;
      throw new ClassifyError("model", `The segmentation network could not be downloaded (HTTP ${res.status}${body?.error ? `: ${body.error}` : ""})`);
    }
    const bytes = new Uint8Array(await res.arrayBuffer());
    const { createSalientSegmenter } = await import("@fmnist/model/salient");
    return createSalientSegmenter(bytes, { wasmPaths: files.wasmPath });
  })();
  segmenter.catch(() => (segmenter = null));
  return segmenter;
}

function post(msg: WorkerResponse, transfer: Transferable[] = []) {
  self.postMessage(msg, transfer);
}


async function load(req: Extract<WorkerRequest, { type: "load" }>): Promise<LoadedModel> {
  model?.dispose();
  model = null;
  plan = null;
  const { backend, notes } = await chooseBackend(req.backend, req.wasmPath);
  const t0 = performance.now();
  let loaded: tf.LayersModel;
  try {
    loaded = await tf.loadLayersModel(tf.io.http(req.modelUrl, { fetchFunc: checkedFetch }));
  } catch (e) {
    throw new ClassifyError("model", `The model could not be loaded: ${message(e).replace(/ Please verify this URL points to the model JSON of the model to load\.?/, "")}`);
  }
  const loadMs = performance.now() - t0;
  const shape = loaded.inputs[0]?.shape ?? [];
  if (shape.length !== 4 || shape[1] !== 28 || shape[2] !== 28 || shape[3] !== 1) {
    loaded.dispose();
    throw new ClassifyError("model", `The model expects input ${JSON.stringify(shape)}, not Fashion-MNIST's [null,28,28,1]`);
  }
  const t1 = performance.now();
  tf.tidy(() => (loaded.predict(tf.zeros([1, 28, 28, 1])) as tf.Tensor).dataSync());
  const warmupMs = performance.now() - t1;
  model = loaded;
  try {
    plan = planSaliency(loaded);
    planNote = plan.method === "grad-cam" ? `Grad-CAM on ${plan.layer} (${plan.size?.join("x")})` : "SmoothGrad gradient x input (no convolution)";
  } catch (e) {
    planNote = `no saliency: ${message(e)}`;
  }
  return { backend, loadMs, warmupMs, params: loaded.countParams(), notes, saliency: planNote };
}

function requireModel(): tf.LayersModel {
  if (!model) throw new ClassifyError("no-model", "No model is loaded yet");
  return model;
}

/** One image through the model: predict and read back the ten probabilities. */
function infer(input: Float32Array): { probabilities: number[]; inferenceMs: number } {
  const m = requireModel();
  const t0 = performance.now();
  // dataSync: in a worker, blocking is fine and beats the polling of an async read-back.
  const probabilities = Array.from(tf.tidy(() => (m.predict(tf.tensor4d(input, [1, 28, 28, 1])) as tf.Tensor).dataSync()));
  return { probabilities, inferenceMs: performance.now() - t0 };
}

function explain(input: Float32Array, classIndex: number): Saliency | null {
  if (!plan) return null;
  const t0 = performance.now();
  const s = saliency(plan, input, classIndex);
  return { ...s, ms: performance.now() - t0 };
}

function top(probabilities: number[]): number {
  let best = 0;
  for (let c = 1; c < probabilities.length; c++) if (probabilities[c] > probabilities[best]) best = c;
  return best;
}

async function classifyFile(req: Extract<WorkerRequest, { type: "classify-file" }>): Promise<{ result: Classification; transfer: Transferable[] }> {
  requireModel();
  const t0 = performance.now();
  const decoded = await decodeImage(req.file, req.name);
  const image = pixelsOf(decoded.bitmap);
  const decodeMs = performance.now() - t0;
  const ts = performance.now();
  // A 28x28 picture is taken as a Fashion-MNIST image as it is (preprocessPhoto): nothing to find.
  const isnet = req.segmentation !== "border" && !(image.width === IMAGE_SIZE && image.height === IMAGE_SIZE);
  let objectMap: Awaited<ReturnType<SalientSegmenter["map"]>> | undefined;
  let segmentationNote: string | null = null;
  if (isnet) {
    try {
      objectMap = await (await loadSegmenter(req.segmenter)).map(image.data, image.width, image.height);
    } catch (e) {
      // The border model's view still gives an answer, and the page says what is missing.
      segmentationNote = `${message(e)}; the border model's view alone was classified`;
    }
  }
  const segmentMs = performance.now() - ts;
  const t1 = performance.now();
  const views = [];
  if (req.segmentation !== "isnet" || !objectMap) views.push(preprocessPhoto(image.data, image.width, image.height));
  if (objectMap) views.push(preprocessPhoto(image.data, image.width, image.height, { objectMap }));
  const preprocessMs = performance.now() - t1;
  const inferred = views.map((v) => infer(v.input));
  // "both": the two views' probabilities averaged; the page shows the view that gives the averaged
  // top class the higher probability (its box, input and heat map).
  const probabilities = inferred[0].probabilities.map((_, c) => inferred.reduce((sum, r) => sum + r.probabilities[c], 0) / inferred.length);
  const inferenceMs = inferred.reduce((sum, r) => sum + r.inferenceMs, 0);
  const best = top(probabilities);
  const shown = views.length > 1 && inferred[1].probabilities[best] > inferred[0].probabilities[best] ? 1 : 0;
  const pre = views[shown];
  const scale = decoded.width / image.width;
  const box = { x: Math.round(pre.box.x * scale), y: Math.round(pre.box.y * scale), width: Math.round(pre.box.width * scale), height: Math.round(pre.box.height * scale) };
  const result: Classification = {
    probabilities,
    inferenceMs,
    decodeMs,
    preprocessMs,
    segmentation: views.length > 1 ? "both" : objectMap ? "isnet" : "border",
    shownView: objectMap && (views.length === 1 || shown === 1) ? "isnet" : "border",
    segmentationNote,
    segmentMs,
    input: pre.input,
    preview: decoded.bitmap,
    width: decoded.width,
    height: decoded.height,
    downscaled: decoded.downscaled,
    inverted: pre.inverted,
    box,
    mirrored: pre.mirrored,
    coverage: pre.coverage,
    saliency: explain(pre.input, best),
    numTensors: tf.memory().numTensors,
  };
  return { result, transfer: [pre.input.buffer, decoded.bitmap] };
}

function classifyPixels(rgba: Uint8ClampedArray, width: number, height: number): { result: Classification; transfer: Transferable[] } {
  requireModel();
  const t1 = performance.now();
  const pre = preprocessPhoto(rgba, width, height);
  const preprocessMs = performance.now() - t1;
  const { probabilities, inferenceMs } = infer(pre.input);
  const result: Classification = {
    probabilities,
    inferenceMs,
    decodeMs: 0,
    preprocessMs,
    // A drawing is on a plain background: the border model always finds it.
    segmentation: "border",
    shownView: "border",
    segmentationNote: null,
    segmentMs: 0,
    input: pre.input,
    preview: null,
    width,
    height,
    downscaled: false,
    inverted: pre.inverted,
    box: pre.box,
    mirrored: pre.mirrored,
    coverage: pre.coverage,
    saliency: explain(pre.input, top(probabilities)),
    numTensors: tf.memory().numTensors,
  };
  return { result, transfer: [pre.input.buffer] };
}

/** Every test image through the model in batches, as the trainer evaluates: pixels / 255, argmax
 * with the first maximum winning, counts into a 10x10 matrix. */
async function runTestSet(id: number, url: string, batchSize: number): Promise<TestSetResult> {
  const m = requireModel();
  const t0 = performance.now();
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new ClassifyError("test-set", `The test set could not be downloaded: ${message(e)}`);
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: string } | null;
    throw new ClassifyError("test-set", `The test set could not be downloaded (HTTP ${res.status}${body?.error ? `: ${body.error}` : ""})`);
  }
  let set: ReturnType<typeof decodeTestSet>;
  try {
    set = decodeTestSet(await res.arrayBuffer());
  } catch (e) {
    throw new ClassifyError("test-set", `The test set could not be read: ${message(e)}`);
  }
  if (set.rows !== 28 || set.cols !== 28) throw new ClassifyError("test-set", `The test images are ${set.rows}x${set.cols}, not 28x28`);
  const downloadMs = performance.now() - t0;

  const matrix = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
  let correct = 0;
  const x = new Float32Array(batchSize * PIXELS);
  const t1 = performance.now();
  post({ type: "progress", id, done: 0, total: set.count });
  for (let start = 0; start < set.count; start += batchSize) {
    if (cancelled.has(id)) throw new ClassifyError("cancelled", `Stopped after ${start} of ${set.count} images`);
    const n = Math.min(batchSize, set.count - start);
    const src = set.pixels.subarray(start * PIXELS, (start + n) * PIXELS);
    toUnitPixels(src, x);
    const probs = tf.tidy(() => (m.predict(tf.tensor4d(x.subarray(0, n * PIXELS), [n, IMAGE_SIZE, IMAGE_SIZE, 1])) as tf.Tensor).dataSync());
    for (let k = 0; k < n; k++) {
      const best = argmax(probs, k * 10, 10);
      const label = set.labels[start + k];
      if (label > 9) throw new ClassifyError("test-set", `Test label ${label} at index ${start + k} is not a class 0..9`);
      matrix[label][best]++;
      if (best === label) correct++;
    }
    post({ type: "progress", id, done: start + n, total: set.count });
    // Let a cancel message in between batches.
    await new Promise((r) => setTimeout(r, 0));
  }
  return { count: set.count, correct, matrix, downloadMs, classifyMs: performance.now() - t1, batchSize, numTensors: tf.memory().numTensors };
}

// Requests run one at a time (a model load never swaps the model under a running test set);
// cancel jumps the queue.
let queue: Promise<void> = Promise.resolve();

async function handle(req: Exclude<WorkerRequest, { type: "cancel" }>) {
  try {
    switch (req.type) {
      case "load":
        post({ type: "loaded", id: req.id, model: await load(req) });
        break;
      case "classify-file": {
        const { result, transfer } = await classifyFile(req);
        post({ type: "classified", id: req.id, result }, transfer);
        break;
      }
      case "classify-pixels": {
        const { result, transfer } = classifyPixels(req.rgba, req.width, req.height);
        post({ type: "classified", id: req.id, result }, transfer);
        break;
      }
      case "saliency": {
        requireModel();
        const result = explain(req.input, req.classIndex);
        if (!result) throw new ClassifyError("model", `This model cannot be explained (${planNote})`);
        post({ type: "saliency-done", id: req.id, result }, [result.map.buffer]);
        break;
      }
      case "test-set":
        post({ type: "test-set-done", id: req.id, result: await runTestSet(req.id, req.url, req.batchSize) });
        break;
    }
  } catch (e) {
    const kind = e instanceof ClassifyError ? e.kind : "internal";
    post({ type: "error", id: req.id, kind, message: e instanceof ClassifyError ? e.message : `Something went wrong: ${message(e)}` });
  } finally {
    cancelled.delete(req.id);
  }
}

self.onmessage = (event: MessageEvent<WorkerRequest>) => {
  const req = event.data;
  if (req.type === "cancel") {
    cancelled.add(req.id);
    return;
  }
  queue = queue.then(() => handle(req));
};
