import { describe, expect, it } from "vitest";
import { autoName, cloneValues, copyName, DEFAULT_CONFIG, defaultValues, serverFieldErrors, toInput, validate } from "./form";

describe("new-run form", () => {
  it("starts from the schema's defaults with a descriptive name, and validates as is", () => {
    const values = defaultValues();
    expect(values).toMatchObject({ architecture: "reference-cnn", epochs: "20", batchSize: "64", learningRate: "0.001", dataset: "fashion-mnist", maxTrainImages: "0" });
    expect(values.name).toBe("reference-cnn · 20 epochs · lr 0.001");
    const v = validate(values);
    expect(v.ok && v.config).toEqual({ ...DEFAULT_CONFIG, name: values.name });
    expect(autoName({ ...values, architecture: "mlp", dataset: "fixture-subset" })).toBe("mlp · 20 epochs · lr 0.001 · subset");
  });

  it("turns number text into numbers and leaves other text for the schema to refuse", () => {
    expect(toInput({ ...defaultValues(), epochs: " 3 ", learningRate: "1e-3", seed: "abc", patience: "" })).toMatchObject({ epochs: 3, learningRate: 0.001, seed: "abc", patience: "" });
  });

  it("reports every bad field with the schema's message", () => {
    const v = validate({ ...defaultValues(), name: "x".repeat(10 * 1024 * 1024), epochs: "-1", batchSize: "0", learningRate: "abc", architecture: "resnet" });
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect(v.fieldErrors).toEqual({
      name: ["name is at most 200 characters"],
      epochs: ["at least 1 epoch"],
      batchSize: ["batch size must be at least 1"],
      learningRate: ["enter a number"],
      architecture: [expect.stringMatching(/Invalid option/)],
    });
    expect(v.formErrors).toEqual([]);
  });

  it("clones a stored config (dataset as the trainer recorded it) with a (copy) name", () => {
    const stored = {
      name: "e2e tiny",
      architecture: "tiny-cnn",
      epochs: 2,
      batchSize: 32,
      learningRate: 0.003,
      maxTrainImages: 400,
      dataset: { dir: "/x/fashion-mnist-small", source: "explicit", subset: "2,000 / 500" },
      legacyKey: true,
      dropout: 7,
    };
    const values = cloneValues(stored, "e2e tiny");
    expect(values).toMatchObject({ name: "e2e tiny (copy)", architecture: "tiny-cnn", epochs: "2", batchSize: "32", learningRate: "0.003", maxTrainImages: "400", dataset: "fixture-subset" });
    // Values the schema refuses fall back to the defaults; unknown keys are dropped.
    expect(values.dropout).toBe(String(DEFAULT_CONFIG.dropout));
    expect("legacyKey" in values).toBe(false);
    expect(copyName("n".repeat(200))).toHaveLength(200);
  });

  it("maps the API's field errors back onto fields", () => {
    expect(serverFieldErrors({ formErrors: [], fieldErrors: { epochs: ["at least 1 epoch"], parentRunId: ["bad id"], seed: [] } })).toEqual({
      fieldErrors: { epochs: ["at least 1 epoch"] },
      formErrors: ["parentRunId: bad id"],
    });
    expect(serverFieldErrors(null)).toEqual({ fieldErrors: {}, formErrors: [] });
  });
});
