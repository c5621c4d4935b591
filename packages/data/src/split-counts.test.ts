import { describe, expect, it } from "vitest";
import { FIXTURE_DIR } from "./fixture";
import { readDataset } from "./load";
import { gather, runSplitCounts, stratifiedSplit } from "./split";

const perClass = (labels: ArrayLike<number>) => {
  const out = new Array<number>(10).fill(0);
  for (let i = 0; i < labels.length; i++) out[labels[i]]++;
  return out;
};

describe("runSplitCounts", () => {
  // The dataset page shows a run's split per class from the counts alone: it must match what the
  // trainer's actual split (cap, then stratified split, seeded) produces.
  it.each([
    [0.2, 0],
    [0.1, 0],
    [0.25, 1234],
    [0.5, 999],
  ])("matches the seeded split of the fixture (validation %s, cap %s)", (fraction, cap) => {
    const data = readDataset(FIXTURE_DIR);
    let { images, labels } = data.train;
    if (cap > 0) ({ images, labels } = gather(images, labels, stratifiedSplit(labels, 1 - cap / labels.length, 7).train));
    const split = stratifiedSplit(labels, fraction, 7);
    const expected = { train: perClass(gather(images, labels, split.train).labels), validation: perClass(gather(images, labels, split.validation).labels) };
    expect(runSplitCounts(perClass(data.train.labels), fraction, cap)).toEqual(expected);
  });

  it("rejects a fraction outside [0, 1)", () => {
    expect(() => runSplitCounts([10, 10], 1)).toThrow(/validation fraction/);
  });
});
