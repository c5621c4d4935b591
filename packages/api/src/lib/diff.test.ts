import { describe, expect, it } from "vitest";
import { changedCells, diffMatrix, f1Deltas, flattenConfig, paramTable } from "./diff";

describe("diff helpers", () => {
  const a = [
    [5, 2],
    [3, 7],
  ];
  const b = [
    [6, 1],
    [4, 6],
  ];

  it("subtracts cell by cell (B - A)", () => {
    expect(diffMatrix(a, b)).toEqual([
      [1, -1],
      [1, -1],
    ]);
    expect(() => diffMatrix(a, [[1]])).toThrow(/differ in size/);
  });

  it("marks fewer confusions and more hits as better", () => {
    const changes = changedCells(a, b);
    expect(changes).toHaveLength(4);
    expect(changes.find((c) => c.trueLabel === 0 && c.predLabel === 1)?.better).toBe(true);
    expect(changes.find((c) => c.trueLabel === 1 && c.predLabel === 0)?.better).toBe(false);
    expect(changes.find((c) => c.trueLabel === 1 && c.predLabel === 1)?.better).toBe(false);
    expect(changes.find((c) => c.trueLabel === 0 && c.predLabel === 0)?.better).toBe(true);
  });

  it("computes F1 deltas and flattens configs for the parameter table", () => {
    const [d0, d1] = f1Deltas([0.5, 0.9], [0.75, 0.8]);
    expect(d0).toBeCloseTo(0.25, 12);
    expect(d1).toBeCloseTo(-0.1, 12);
    expect(flattenConfig({ a: 1, d: { dir: "/x", subset: null } })).toEqual({ a: 1, "d.dir": "/x", "d.subset": null });
    expect(paramTable([{ a: 1, b: 2 }, { a: 1, b: 3, c: true }])).toEqual([
      { key: "a", values: [1, 1], differs: false },
      { key: "b", values: [2, 3], differs: true },
      { key: "c", values: [null, true], differs: true },
    ]);
  });
});
