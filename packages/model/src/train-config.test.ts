import { describe, expect, it } from "vitest";
import { requestedTrainConfig, trainConfigSchema } from "./train-config";

describe("train config", () => {
  it("fills the reference defaults and refuses bad values with field paths", () => {
    const c = trainConfigSchema.parse({ name: "x" });
    expect(c).toMatchObject({ architecture: "reference-cnn", epochs: 20, batchSize: 64, learningRate: 0.001, dataset: "fashion-mnist" });
    const bad = trainConfigSchema.safeParse({ name: "", epochs: -1, batchSize: 0, learningRate: "abc", architecture: "resnet" });
    expect(bad.success).toBe(false);
    const paths = bad.error!.issues.map((i) => i.path.join("."));
    expect(paths.sort()).toEqual(["architecture", "batchSize", "epochs", "learningRate", "name"]);
  });

  it("maps a config the trainer recorded (dataset it read) back to the requested one", () => {
    const requested = trainConfigSchema.parse({ name: "r", architecture: "tiny-cnn", epochs: 2, dataset: "fixture-subset", maxTrainImages: 400 });
    const fixture = { ...requested, dataset: { dir: "/repo/packages/data/fixtures/x", source: "explicit", subset: "2,000 / 500 real images" } };
    expect(trainConfigSchema.safeParse(fixture).success).toBe(false);
    expect(trainConfigSchema.parse(requestedTrainConfig(fixture))).toEqual(requested);
    const full = { ...requested, dataset: { dir: "/usr/share/datasets/fashion-mnist", source: "debian", subset: null } };
    expect(trainConfigSchema.parse(requestedTrainConfig(full)).dataset).toBe("fashion-mnist");
    expect(requestedTrainConfig(requested)).toEqual(requested);
    // Stored as requested (full dataset) but read from the shipped subset (CLI --data-dir): repeated on the subset.
    const cli = trainConfigSchema.parse({ name: "cli", epochs: 2 });
    expect(requestedTrainConfig(cli, { datasetSubset: "2000 train / 500 test images" }).dataset).toBe("fixture-subset");
    expect(requestedTrainConfig(cli, { datasetSubset: null })).toEqual(cli);
    expect(requestedTrainConfig(null)).toEqual({});
    expect(requestedTrainConfig([1])).toEqual({});
  });
});
