// One model version, loaded from its exported files and predicting synchronously on the serving
// backend. Used in the inference worker thread (predict-worker.mjs) and, where that cannot start,
// in the request thread. No path aliases here: the worker loads this file with tsx directly.

import { readFileSync } from "node:fs";
import { resolve, sep } from "node:path";
import { IMAGE_PIXELS, IMAGE_SIZE } from "@fmnist/data/image";
import * as tf from "@tensorflow/tfjs";
import { servingBackend } from "./backend";

export interface Predictor {
  /** n*784 floats in [0,1] -> n*10 probabilities (a copy: the backend may reuse its buffers). */
  predict(input: Float32Array, n: number): Float32Array;
  params: number;
  dispose(): void;
}

/** Thrown for a model the API cannot serve (wrong input shape). */
export class UnservableModelError extends Error {}

/** Reads model.json and its weight files from disk (tfjs has no file:// loader without tfjs-node). */
export function fileHandler(modelJsonPath: string): tf.io.IOHandler {
  return {
    async load() {
      const json = JSON.parse(readFileSync(modelJsonPath, "utf8")) as tf.io.ModelJSON;
      const dir = resolve(modelJsonPath, "..");
      const specs: tf.io.WeightsManifestEntry[] = [];
      const buffers: Buffer[] = [];
      for (const group of json.weightsManifest ?? []) {
        specs.push(...group.weights);
        for (const p of group.paths) {
          const file = resolve(dir, p);
          if (!file.startsWith(dir + sep)) throw new Error(`weights path ${p} leaves the model's directory`);
          buffers.push(readFileSync(file));
        }
      }
      const all = Buffer.concat(buffers);
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        weightSpecs: specs,
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
      };
    },
  };
}

export async function loadPredictor(modelJsonPath: string): Promise<Predictor> {
  await servingBackend();
  const model = await tf.loadLayersModel(fileHandler(modelJsonPath));
  const shape = model.inputs[0]?.shape ?? [];
  if (shape.length !== 4 || shape[1] !== 28 || shape[2] !== 28 || shape[3] !== 1) {
    model.dispose();
    throw new UnservableModelError(`expects input ${JSON.stringify(shape)}, not [null,28,28,1]`);
  }
  // A batch in shared memory (the batcher's staging array) is copied into this predictor's own
  // array, grown as needed: tfjs keeps a reference to a tensor's values, and native kernels take
  // plain ArrayBuffers.
  let own = new Float32Array(0);
  const plain = (input: Float32Array, length: number) => {
    if (!(input.buffer instanceof SharedArrayBuffer)) return input;
    if (own.length < length) own = new Float32Array(length);
    const view = own.subarray(0, length);
    view.set(input.subarray(0, length));
    return view;
  };
  const predict = (input: Float32Array, n: number) =>
    Float32Array.from(tf.tidy(() => (model.predict(tf.tensor4d(plain(input, n * IMAGE_PIXELS), [n, IMAGE_SIZE, IMAGE_SIZE, 1])) as tf.Tensor).dataSync() as Float32Array));
  predict(new Float32Array(IMAGE_PIXELS), 1); // warm-up: the first predict allocates and initialises kernels
  return { predict, params: model.countParams(), dispose: () => model.dispose() };
}
