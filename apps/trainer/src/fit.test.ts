// fit() on the shipped fixture with no database at all: the loop and its callbacks alone.

import { selectBackend } from "@fmnist/backends";
import { FIXTURE_DIR, gather, readDataset, stratifiedSplit } from "@fmnist/data";
import { ARCHITECTURE_NAMES, buildModel, learningRateAt } from "@fmnist/model";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { BestCheckpoint, type Callback, DecoupledWeightDecay, EarlyStopping, FitStopped, fit, LearningRateSchedule, WeightAveraging } from "./fit";

const data = readDataset(FIXTURE_DIR);
const keep = stratifiedSplit(data.train.labels, 1 - 640 / data.train.count, 1).train;
const subset = gather(data.train.images, data.train.labels, keep);
const split = stratifiedSplit(subset.labels, 0.2, 1);
const trainSet = gather(subset.images, subset.labels, split.train);
const validation = gather(subset.images, subset.labels, split.validation);

function compiled(lr = 0.003) {
  const model = buildModel("tiny-cnn", { seed: 5 });
  model.compile({ optimizer: tf.train.adam(lr), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  return model;
}

beforeAll(async () => {
  await selectBackend("wasm");
});

describe("fit() without a database", () => {
  it("lowers the loss, runs every epoch, keeps the best checkpoint and leaks no tensors", async () => {
    const model = compiled();
    const checkpoint = new BestCheckpoint("val_accuracy");
    const batchesSeen: number[] = [];
    const counter: Callback = { onBatchEnd: (p) => void batchesSeen.push(p.batch) };
    const { epochs, tensorsAfterEpoch } = await fit(model, trainSet, {
      epochs: 4,
      batchSize: 64,
      seed: 1,
      validation,
      // pair needs the batch's labels: it throws if makeBatch does not hand them to the augmentation.
      augment: { cropPadding: 1, flip: true, erasing: 0.2, pair: 0.3 },
      labelSmoothing: 0.1,
      callbacks: [checkpoint, counter],
    });
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
    expect(epochs[3].loss).toBeLessThan(epochs[0].loss);
    expect(batchesSeen).toHaveLength(4 * Math.ceil(trainSet.labels.length / 64));
    const best = epochs.reduce((a, e) => (e.valAccuracy > a.valAccuracy ? e : a));
    expect(checkpoint.best?.epoch).toBe(best.epoch);
    expect(tensorsAfterEpoch[3]).toBe(tensorsAfterEpoch[1]);
    checkpoint.dispose();
    model.dispose();
  }, 120_000);

  it("stops early when a callback says so, and at once when told to stop", async () => {
    const model = compiled();
    const stopAfter2: Callback = {
      onEpochEnd: (e, ctx) => {
        ctx.stopTraining = e.epoch === 2;
      },
    };
    const { epochs } = await fit(model, trainSet, { epochs: 10, batchSize: 64, seed: 1, validation, callbacks: [stopAfter2] });
    expect(epochs).toHaveLength(2);

    let batches = 0;
    const stop = fit(model, trainSet, {
      epochs: 10,
      batchSize: 64,
      seed: 1,
      validation,
      callbacks: [{ onBatchEnd: () => void batches++ }],
      shouldStop: () => batches >= 3,
    });
    await expect(stop).rejects.toBeInstanceOf(FitStopped);
    expect(batches).toBe(3);

    // EarlyStopping counts epochs without a validation-loss improvement, as Keras' does.
    const early = new EarlyStopping(2);
    const ctx = { model, optimizer: model.optimizer, epochs: 10, stopTraining: false };
    const stoppedAt = [1, 0.9, 0.95, 0.89, 0.9, 0.91, 0.5].findIndex((valLoss, i) => {
      early.onEpochEnd({ epoch: i + 1, valLoss } as never, ctx);
      return ctx.stopTraining;
    });
    expect(stoppedAt + 1).toBe(6);
    model.dispose();
  }, 120_000);

  it("sets the learning rate from the schedule every step and records the rate each epoch starts with", async () => {
    const model = compiled();
    const schedule = { name: "cosine" as const, learningRate: 0.01, epochs: 3, warmupEpochs: 1, stepEpochs: 1, stepGamma: 1 };
    const { epochs } = await fit(model, trainSet, {
      epochs: 3,
      batchSize: 64,
      seed: 1,
      validation,
      callbacks: [new LearningRateSchedule((t) => learningRateAt(schedule, t))],
    });
    expect(epochs.map((e) => e.learningRate)).toEqual([0, 1, 2].map((t) => learningRateAt(schedule, t)));
    model.dispose();
  }, 120_000);

  it("decoupled weight decay shrinks kernels by lr * decay per step and leaves biases alone", async () => {
    const model = compiled(0.01);
    const kernel = () => model.trainableWeights.find((w) => /kernel/.test(w.originalName))!.read().dataSync().slice();
    const bias = () => model.trainableWeights.find((w) => /bias/.test(w.originalName))!.read().dataSync().slice();
    const k0 = kernel();
    const b0 = bias();
    new DecoupledWeightDecay(0.5).onBatchEnd({} as never, { model, optimizer: model.optimizer, epochs: 1, stopTraining: false });
    const k1 = kernel();
    for (let i = 0; i < 10; i++) expect(k1[i]).toBeCloseTo(k0[i] * (1 - 0.01 * 0.5), 7);
    expect(Array.from(bias())).toEqual(Array.from(b0));
    model.dispose();
  });

  it("weight averaging puts the mean of the last N epochs' weights into the model, and leaks nothing", async () => {
    const model = compiled();
    const averaging = new WeightAveraging(2);
    const seen: Float32Array[][] = [];
    const snapshot: Callback = { onEpochEnd: (_e, ctx) => void seen.push(ctx.model.getWeights().map((w) => w.dataSync().slice() as Float32Array)) };
    await fit(model, trainSet, { epochs: 4, batchSize: 64, seed: 3, validation, callbacks: [averaging, snapshot] });
    const before = tf.memory().numTensors;
    expect(averaging.apply(model)).toEqual([3, 4]);
    model.getWeights().forEach((w, i) => {
      const got = w.dataSync();
      for (const j of [0, Math.floor(got.length / 2), got.length - 1]) expect(got[j]).toBeCloseTo((seen[2][i][j] + seen[3][i][j]) / 2, 6);
    });
    // The mean differs from the last epoch's weights (training moved them between epochs 3 and 4).
    expect(Array.from(model.getWeights()[0].dataSync())).not.toEqual(Array.from(seen[3][0]));
    averaging.dispose();
    expect(tf.memory().numTensors).toBeLessThan(before);
    expect(() => new WeightAveraging(2).apply(model)).toThrow(/no epoch to average/);
    model.dispose();
  });

  it.each(ARCHITECTURE_NAMES)("%s lowers the training loss on the fixture", async (name) => {
    const model = buildModel(name, { seed: 3 });
    model.compile({ optimizer: tf.train.adam(0.002), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
    const small = gather(trainSet.images, trainSet.labels, Int32Array.from({ length: 128 }, (_, i) => i));
    const tinyValidation = gather(validation.images, validation.labels, Int32Array.from({ length: 32 }, (_, i) => i));
    const { epochs } = await fit(model, small, { epochs: 3, batchSize: 32, seed: 2, validation: tinyValidation });
    expect(epochs[2].loss).toBeLessThan(epochs[0].loss);
    model.dispose();
  }, 120_000);
});
