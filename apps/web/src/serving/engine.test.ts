// Both places predictions can run (the inference thread and the request thread) give the same
// probabilities as the model itself, and refuse a model that does not take 28x28x1 input.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FIXTURE_DIR, readDataset } from "@fmnist/data";
import { buildModel } from "@fmnist/model";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createEngine, type Engine } from "./engine";
import { UnservableModelError } from "./predictor";

let dir: string;
let reference: tf.LayersModel;

async function save(model: tf.LayersModel, name: string): Promise<string> {
  const out = join(dir, name);
  mkdirSync(out, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      writeFileSync(join(out, "weights.bin"), Buffer.from(a.weightData as ArrayBuffer));
      writeFileSync(join(out, "model.json"), JSON.stringify({ modelTopology: a.modelTopology, format: "layers-model", weightsManifest: [{ paths: ["weights.bin"], weights: a.weightSpecs }] }));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
  );
  return join(out, "model.json");
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "fmnist-engine-"));
  reference = buildModel("tiny-cnn", { seed: 3 });
  await save(reference, "good");
  const wrong = tf.sequential({ layers: [tf.layers.dense({ inputShape: [10], units: 10, activation: "softmax" })] });
  await save(wrong, "wrong-shape");
  wrong.dispose();
}, 60_000);
afterAll(() => {
  reference.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const images = readDataset(FIXTURE_DIR).test.images.subarray(0, 5 * 784);
const input = Float32Array.from(images, (p) => p / 255);

it.each(["thread", "inline"] as const)("%s: same probabilities as the model, and a wrong-shaped model refused", { timeout: 60_000 }, async (mode) => {
  const engine: Engine = await createEngine(mode);
  expect(engine.backend.note).toMatch(mode === "thread" ? /in an inference thread/ : /in the request thread/);
  expect(await engine.load("good", join(dir, "good", "model.json"))).toBe(reference.countParams());
  const got = await engine.predict("good", input, 5);
  const want = tf.tidy(() => (reference.predict(tf.tensor4d(input, [5, 28, 28, 1])) as tf.Tensor).dataSync());
  expect(got).toHaveLength(50);
  for (let i = 0; i < 50; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-5);
  await expect(engine.load("wrong", join(dir, "wrong-shape", "model.json"))).rejects.toThrow(UnservableModelError);
  await expect(engine.predict("never-loaded", input, 5)).rejects.toThrow(/not loaded/);
  engine.dispose("good");
});
