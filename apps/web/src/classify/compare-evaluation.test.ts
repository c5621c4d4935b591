import { describe, expect, it } from "vitest";
import { compareWithRecorded } from "./compare-evaluation";

const diag = (n: number) => Array.from({ length: 10 }, (_, i) => Array.from({ length: 10 }, (_, j) => (i === j ? n : 0)));

describe("compareWithRecorded", () => {
  it("equal when accuracy, count and every cell agree", () => {
    const m = diag(9);
    m[6][0] = 1;
    expect(compareWithRecorded({ count: 91, correct: 90, matrix: m }, { testAccuracy: 90 / 91, numExamples: 91, confusionMatrix: m.map((r) => [...r]) })).toEqual({
      equal: true,
      accuracyEqual: true,
      countEqual: true,
      differingCells: [],
    });
  });

  it("lists the cells that differ", () => {
    const a = diag(10);
    const b = diag(10);
    a[6][0] = 1;
    a[6][6] = 9;
    const r = compareWithRecorded({ count: 100, correct: 99, matrix: a }, { testAccuracy: 1, numExamples: 100, confusionMatrix: b });
    expect(r.equal).toBe(false);
    expect(r.accuracyEqual).toBe(false);
    expect(r.differingCells).toEqual([
      [6, 0, 1, 0],
      [6, 6, 9, 10],
    ]);
  });
});
