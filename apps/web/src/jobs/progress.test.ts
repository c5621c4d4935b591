import { describe, expect, it } from "vitest";
import { asProgress, liveFraction } from "./progress";

describe("live progress", () => {
  it("counts finished epochs plus this epoch's batches", () => {
    expect(liveFraction({ epoch: 1, epochs: 2, batch: 5, batches: 10 })).toBe(0.25);
    expect(liveFraction({ epoch: 2, epochs: 2, batch: 10, batches: 10 })).toBe(1);
    expect(liveFraction({ epoch: 3, epochs: 2, batch: 10, batches: 10 })).toBe(1);
    expect(liveFraction(null)).toBe(0);
    expect(liveFraction({ epochs: 2 })).toBe(0);
  });

  it("an imported run's evaluation counts test images (it has no epochs)", () => {
    expect(liveFraction({ phase: "evaluating", epoch: 0, epochs: 0, batch: 2500, batches: 10000 })).toBe(0.25);
    expect(liveFraction({ phase: "evaluating", epoch: 0, epochs: 0, batch: 10000, batches: 10000 })).toBe(1);
    expect(liveFraction({ phase: "evaluating", batch: 10 })).toBe(0);
  });

  it("reads only objects", () => {
    expect(asProgress({ epoch: 1 })).toEqual({ epoch: 1 });
    expect(asProgress(null)).toBeNull();
    expect(asProgress("x")).toBeNull();
    expect(asProgress([1])).toBeNull();
  });
});
