import { describe, expect, it } from "vitest";
import { verdictOf } from "./verdict";

const probs = (...pairs: [number, number][]) => {
  const p = new Array<number>(10).fill(0);
  for (const [c, v] of pairs) p[c] = v;
  return p;
};

describe("the page's verdict", () => {
  it("is one confident class only when the model is sure and an item was found", () => {
    expect(verdictOf(probs([7, 0.9], [5, 0.1]), 0.2)).toEqual({ kind: "confident", top: 7, p: 0.9 });
    expect(verdictOf(probs([7, 0.45], [5, 0.2], [9, 0.2], [8, 0.15]), 0.2).kind).toBe("unsure");
    expect(verdictOf(probs([7, 0.5], [5, 0.4], [9, 0.1]), 0.2)).toEqual({ kind: "tie", top: 7, second: 5, p: 0.5, q: 0.4 });
    // No item stood out from the background: not trusted even at 99%.
    expect(verdictOf(probs([8, 0.99], [0, 0.01]), 0).kind).toBe("no-item");
    // A tie on the first class: the runner-up is found after it.
    expect(verdictOf(probs([0, 0.5], [1, 0.5]), 0.3)).toMatchObject({ kind: "tie", top: 0, second: 1 });
  });
});
