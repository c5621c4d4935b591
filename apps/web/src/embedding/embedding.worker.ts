/// <reference lib="webworker" />
// The embedding map's worker: runs the run's exported model over the test set in the browser,
// keeps the activations of the layer before the classifier, and projects them to 2-D: PCA at
// once, then UMAP (umap-js) with progress. All off the page's thread.
import { IMAGE_SIZE, IMAGE_PIXELS as PIXELS, toUnitPixels } from "@fmnist/data/image";
import { seededRandom } from "@fmnist/data/split";
import * as tf from "@tensorflow/tfjs";
import { UMAP } from "umap-js";
import { checkedFetch, chooseBackend, message } from "~/classify/backend";
import { decodeTestSet } from "~/classify/test-set-format";
import { randomizedPca } from "./pca-tf";
import type { EmbeddingRequest, EmbeddingResponse } from "./protocol";

declare const self: DedicatedWorkerGlobalScope;

const BATCH = 250;
/** PCA components handed to UMAP: 20 keep the neighbourhoods and make its neighbour search
 * (the slower half of UMAP here) 2.5x faster than 50. */
const UMAP_DIMS = 20;

function post(msg: EmbeddingResponse, transfer: Transferable[] = []) {
  self.postMessage(msg, transfer);
}

async function run(req: EmbeddingRequest) {
  post({ type: "status", phase: "model", done: 0, total: 1 });
  const { backend } = await chooseBackend(req.backend, req.wasmPath);
  const model = await tf.loadLayersModel(tf.io.http(req.modelUrl, { fetchFunc: checkedFetch }));
  const classifier = model.layers[model.layers.length - 1];
  // The input of the last (softmax) layer is the representation the classifier separates.
  const features = classifier.input as tf.SymbolicTensor;
  const both = tf.model({ inputs: model.inputs, outputs: [features, model.outputs[0]] });
  const width = features.shape[features.shape.length - 1] as number;

  post({ type: "status", phase: "test-set", done: 0, total: 1 });
  const res = await fetch(req.testSetUrl);
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: string } | null;
    throw new Error(`The test set could not be downloaded (HTTP ${res.status}${body?.error ? `: ${body.error}` : ""})`);
  }
  const set = decodeTestSet(await res.arrayBuffer());
  const n = set.count;

  const t0 = performance.now();
  const activations = new Float32Array(n * width);
  const predictions = new Uint8Array(n);
  const x = new Float32Array(BATCH * PIXELS);
  for (let start = 0; start < n; start += BATCH) {
    const m = Math.min(BATCH, n - start);
    const src = set.pixels.subarray(start * PIXELS, (start + m) * PIXELS);
    toUnitPixels(src, x);
    const [f, probs] = tf.tidy(() => {
      const out = both.predict(tf.tensor4d(x.subarray(0, m * PIXELS), [m, IMAGE_SIZE, IMAGE_SIZE, 1])) as tf.Tensor[];
      return [out[0].reshape([m, width]).dataSync(), out[1].dataSync()];
    });
    activations.set(f, start * width);
    for (let k = 0; k < m; k++) {
      let best = 0;
      for (let c = 1; c < 10; c++) if (probs[k * 10 + c] > probs[k * 10 + best]) best = c;
      predictions[start + k] = best;
    }
    post({ type: "status", phase: "activations", done: start + m, total: n });
    await new Promise((r) => setTimeout(r, 0));
  }
  // `both` shares the model's layers: disposing the model frees them once.
  model.dispose();
  const labels = set.labels.slice(0, n);
  post({ type: "activations", count: n, width, layer: classifier.name, labels, predictions, backend, ms: performance.now() - t0 });

  const t1 = performance.now();
  post({ type: "status", phase: "pca", done: 0, total: 1 });
  // PCA to UMAP_DIMS components: its first two are the PCA view, all of them UMAP's input (the usual
  // practice: neighbours in 20 dimensions are found many times faster than in 1,352, with the
  // same structure).
  const features2d = tf.tensor2d(activations, [n, width]);
  const p = randomizedPca(features2d, Math.min(UMAP_DIMS, width), { iterations: 2 });
  features2d.dispose();
  const k = p.components;
  const coords2 = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    coords2[i * 2] = p.projected[i * k];
    coords2[i * 2 + 1] = k > 1 ? p.projected[i * k + 1] : 0;
  }
  const explained: [number, number] = [p.variance[0] / p.totalVariance, (p.variance[1] ?? 0) / p.totalVariance];
  post({ type: "pca", projection: { coords: coords2, ms: performance.now() - t1 }, explained }, [coords2.buffer]);
  if (!req.umap) return;

  const t2 = performance.now();
  post({ type: "status", phase: "umap-neighbours", done: 0, total: 1 });
  const rows: number[][] = new Array(n);
  for (let i = 0; i < n; i++) rows[i] = Array.from(p.projected.subarray(i * k, (i + 1) * k));
  const umap = new UMAP({ nComponents: 2, nNeighbors: 15, minDist: 0.1, nEpochs: 200, random: seededRandom(42) /* a map drawn twice looks the same */ });
  const epochs = umap.initializeFit(rows);
  const neighboursMs = performance.now() - t2;
  for (let e = 0; e < epochs; e++) {
    umap.step();
    if (e % 5 === 0 || e === epochs - 1) {
      post({ type: "status", phase: "umap", done: e + 1, total: epochs });
      await new Promise((r) => setTimeout(r, 0));
    }
  }
  const embedding = umap.getEmbedding();
  const coords = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    coords[i * 2] = embedding[i][0];
    coords[i * 2 + 1] = embedding[i][1];
  }
  post({ type: "umap", projection: { coords, ms: performance.now() - t2 }, epochs, neighboursMs }, [coords.buffer]);
}

self.onmessage = (event: MessageEvent<EmbeddingRequest>) => {
  run(event.data).catch((e: unknown) => post({ type: "error", message: message(e) }));
};
