import { describe, expect, it } from "vitest";
import { accuracy, argmaxRows, classificationReport, confusionMatrix } from "./metrics";

describe("metrics", () => {
  // Worked by hand (and checked against sklearn.metrics.classification_report):
  // y_true = [0,0,0,1,1,2,2,2,2], y_pred = [0,0,1,1,2,2,2,2,0]
  const yTrue = [0, 0, 0, 1, 1, 2, 2, 2, 2];
  const yPred = [0, 0, 1, 1, 2, 2, 2, 2, 0];

  it("confusion matrix rows are true classes", () => {
    expect(confusionMatrix(yTrue, yPred, 3)).toEqual([
      [2, 1, 0],
      [0, 1, 1],
      [1, 0, 3],
    ]);
    expect(accuracy(yTrue, yPred)).toBeCloseTo(6 / 9, 12);
  });

  it("per-class precision/recall/F1 and averages match the hand-computed values", () => {
    const r = classificationReport(confusionMatrix(yTrue, yPred, 3));
    // class 0: tp 2, predicted 3, support 3 -> p 2/3, r 2/3, f1 2/3
    // class 1: tp 1, predicted 2, support 2 -> p 1/2, r 1/2, f1 1/2
    // class 2: tp 3, predicted 4, support 4 -> p 3/4, r 3/4, f1 3/4
    expect(r.perClass.map((c) => c.precision)).toEqual([2 / 3, 1 / 2, 3 / 4]);
    expect(r.perClass.map((c) => c.recall)).toEqual([2 / 3, 1 / 2, 3 / 4]);
    expect(r.perClass[2].f1).toBeCloseTo(0.75, 12);
    expect(r.perClass.map((c) => c.support)).toEqual([3, 2, 4]);
    expect(r.macroAvg.precision).toBeCloseTo((2 / 3 + 1 / 2 + 3 / 4) / 3, 12);
    expect(r.weightedAvg.f1).toBeCloseTo((3 * (2 / 3) + 2 * 0.5 + 4 * 0.75) / 9, 12);
    expect(r.accuracy).toBeCloseTo(6 / 9, 12);
  });

  it("asymmetric case: precision and recall differ, zero_division gives 0", () => {
    // y_true = [0,0,1,1], y_pred = [0,0,0,0]: class 1 never predicted.
    const r = classificationReport(confusionMatrix([0, 0, 1, 1], [0, 0, 0, 0], 2));
    expect(r.perClass[0]).toMatchObject({ precision: 0.5, recall: 1, support: 2 });
    expect(r.perClass[0].f1).toBeCloseTo(2 / 3, 12);
    expect(r.perClass[1]).toMatchObject({ precision: 0, recall: 0, f1: 0, support: 2 });
    expect(r.macroAvg.f1).toBeCloseTo(1 / 3, 12);
  });

  it("rejects mismatched lengths and out-of-range labels", () => {
    expect(() => confusionMatrix([0, 1], [0])).toThrow(/2 labels but yPred has 1/);
    expect(() => confusionMatrix([0, 11], [0, 1])).toThrow(RangeError);
  });

  it("argmaxRows", () => {
    expect(Array.from(argmaxRows([0.1, 0.9, 0.7, 0.3], 2))).toEqual([1, 0]);
  });
});
