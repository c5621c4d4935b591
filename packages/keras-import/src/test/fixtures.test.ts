import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DEBIAN_DIR, hasAllFiles, readDataset } from "@fmnist/data";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { beforeAll, describe, expect, it } from "vitest";
import { importKerasModel } from "../index";
import { haveFixtures, KERAS_MODELS_DIR, readGroundTruth } from "./ground-truth";

/** x/255 as [N,28,28,1], predicted in batches, like the trainer's evaluation. */
async function predictAll(model: tf.LayersModel, images: Uint8Array, count: number): Promise<Float32Array> {
  const out = new Float32Array(count * 10);
  for (let start = 0; start < count; start += 1000) {
    const n = Math.min(1000, count - start);
    const probs = tf.tidy(() => {
      const x = tf.tensor4d(Float32Array.from(images.subarray(start * 784, (start + n) * 784), (v) => v / 255), [n, 28, 28, 1]);
      return model.predict(x) as tf.Tensor;
    });
    out.set(await probs.data(), start * 10);
    probs.dispose();
  }
  return out;
}

const truths = haveFixtures ? readGroundTruth() : [];

// The real test set (Debian package dataset-fashion-mnist, as on CI).
describe.skipIf(!haveFixtures || !hasAllFiles(DEBIAN_DIR))("the five real Keras files against the README's ground truth", () => {
  let test: { images: Uint8Array; labels: Uint8Array; count: number };
  beforeAll(async () => {
    await tf.setBackend("wasm");
    test = readDataset(DEBIAN_DIR).test;
  });

  it("the README lists five models with their ground truth", () => {
    expect(truths.map((t) => t.file).sort()).toEqual(["k2-cnn.h5", "k215-cnn.keras", "k3-cnn-bn.keras", "k3-cnn241546.keras", "k3-legacy-cnn.h5"]);
    for (const t of truths) {
      expect(t.confusion).toHaveLength(10);
      expect([...t.probabilities.keys()]).toEqual([0, 1, 2, 42]);
    }
  });

  for (const truth of truths) {
    it(`${truth.file}: parameters, accuracy, confusion matrix and probabilities match`, async () => {
      const tensorsBefore = tf.memory().numTensors;
      const imported = await importKerasModel(readFileSync(join(KERAS_MODELS_DIR, truth.file)), truth.file);
      expect(imported.format).toBe(truth.file.endsWith(".keras") ? "keras" : "h5");
      expect(imported.kerasVersion).toBe(truth.kerasVersion);
      expect(imported.paramCount).toBe(truth.params);
      const probs = await predictAll(imported.model, test.images, test.count);
      const confusion = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
      let correct = 0;
      for (let i = 0; i < test.count; i++) {
        let best = 0;
        for (let c = 1; c < 10; c++) if (probs[i * 10 + c] > probs[i * 10 + best]) best = c;
        confusion[test.labels[i]][best]++;
        if (best === test.labels[i]) correct++;
      }
      expect(Math.abs(correct / test.count - truth.accuracy)).toBeLessThanOrEqual(0.0005);
      expect(confusion).toEqual(truth.confusion);
      for (const [index, expected] of truth.probabilities) {
        const got = Array.from(probs.subarray(index * 10, index * 10 + 10));
        for (let c = 0; c < 10; c++) expect(Math.abs(got[c] - expected[c]), `image ${index}, class ${c}`).toBeLessThan(1e-4);
      }
      imported.model.dispose();
      expect(tf.memory().numTensors).toBe(tensorsBefore);
    }, 180_000);
  }
});
