import { describe, expect, it } from "vitest";
import { MAX_TRIAL_BUDGET, sweepDefinitionSchema } from "./schema";

const good = {
  name: "lr sweep",
  trialBudget: 12,
  base: { architecture: "mlp", epochs: 3 },
  space: { learningRate: { type: "range", min: 1e-4, max: 1e-2, scale: "log" } },
};

/** The messages a bad definition gets, as "path: message". */
function errors(input: unknown): string[] {
  const r = sweepDefinitionSchema.safeParse(input);
  if (r.success) return [];
  return r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

describe("sweep definition", () => {
  it("accepts a valid definition and fills defaults", () => {
    const d = sweepDefinitionSchema.parse(good);
    expect(d).toMatchObject({ method: "random", objective: "val_accuracy", maxConcurrent: 2, seed: 0, earlyTermination: null });
    expect(d.tpe).toEqual({ startupTrials: 5, gamma: 0.25, candidates: 24 });
  });

  it.each([
    ["an empty space", { ...good, space: {} }, "space: the search space is empty"],
    ["an inverted range", { ...good, space: { dropout: { type: "range", min: 0.5, max: 0.1 } } }, "space.dropout.max: dropout: the range is empty or inverted"],
    ["an empty range", { ...good, space: { dropout: { type: "range", min: 0.5, max: 0.5 } } }, "space.dropout.max: dropout: the range is empty or inverted"],
    ["a log range through zero", { ...good, space: { weightDecay: { type: "range", min: 0, max: 0.1, scale: "log" } } }, "space.weightDecay.min: weightDecay: a log range must be above zero"],
    ["a negative log range", { ...good, space: { learningRate: { type: "range", min: -1, max: 0.1, scale: "log" } } }, "space.learningRate.min: learningRate: a log range must be above zero"],
    ["a budget over the limit", { ...good, trialBudget: MAX_TRIAL_BUDGET + 1 }, `trialBudget: trialBudget is at most ${MAX_TRIAL_BUDGET}`],
    ["a zero budget", { ...good, trialBudget: 0 }, "trialBudget: trialBudget must be at least 1"],
    ["an unknown space field", { ...good, space: { lerningRate: { type: "range", min: 0.1, max: 0.2 } } }, 'space.lerningRate: unknown config field "lerningRate"'],
    ["an unknown base field", { ...good, base: { foo: 1 } }, 'base.foo: unknown config field "foo"'],
    ["the name as a parameter", { ...good, space: { name: { type: "choice", values: ["a"] } } }, 'space.name: unknown config field "name"'],
    ["a range outside the field's bounds", { ...good, space: { dropout: { type: "range", min: 0.1, max: 0.95 } } }, "space.dropout.max: dropout = 0.95:"],
    ["a choice the field does not allow", { ...good, space: { optimizer: { type: "choice", values: ["adam", "rmsprop"] } } }, 'space.optimizer.values.1: optimizer = "rmsprop":'],
    ["a range over a categorical field", { ...good, space: { optimizer: { type: "range", min: 0, max: 1 } } }, "space.optimizer: optimizer is not a numeric field"],
    ["a field both fixed and searched", { ...good, base: { learningRate: 0.1 } }, 'base.learningRate: "learningRate" is both fixed and searched'],
    ["a bad base value", { ...good, base: { epochs: 0 } }, "base.epochs: at least 1 epoch"],
    ["a grid smaller than the budget", { ...good, method: "grid", trialBudget: 4 }, "trialBudget: the grid has 3 point(s)"],
    ["a first rung at the last epoch", { ...good, earlyTermination: { type: "asha", minResource: 3 } }, "earlyTermination.minResource: minResource (3) must be below"],
    ["no choices", { ...good, space: { optimizer: { type: "choice", values: [] } } }, "space.optimizer.values: give at least one value"],
    ["an unknown method", { ...good, method: "bayes" }, "method: Invalid option"],
  ])("refuses %s, naming the field", (_what, input, expected) => {
    const messages = errors(input);
    expect(messages.some((m) => m.startsWith(expected)), messages.join(" | ")).toBe(true);
  });
});
