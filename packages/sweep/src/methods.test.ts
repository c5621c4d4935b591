import { trainConfigSchema } from "@fmnist/model/train-config";
import { describe, expect, it } from "vitest";
import { ashaDecision, ashaRungs } from "./asha";
import { gridParams } from "./grid";
import { parameterImportance, spearman } from "./importance";
import { proposeParams } from "./propose";
import { randomParams, trialRandom } from "./random";
import { gridSize, sweepDefinitionSchema, trialConfig } from "./schema";
import { type Observation, ParzenEstimator, splitObservations, tpeParams } from "./tpe";

const def = (over: Record<string, unknown> = {}) =>
  sweepDefinitionSchema.parse({
    name: "s",
    trialBudget: 20,
    base: { architecture: "mlp", epochs: 3, dataset: "fixture-subset" },
    space: {
      learningRate: { type: "range", min: 1e-4, max: 1e-1, scale: "log" },
      batchSize: { type: "range", min: 16, max: 256 },
      optimizer: { type: "choice", values: ["adam", "sgd"] },
    },
    ...over,
  });

describe("grid", () => {
  it("enumerates the cartesian product once, deterministically, last key fastest", () => {
    const d = def({ method: "grid", trialBudget: 18 });
    expect(gridSize(d.space)).toBe(3 * 3 * 2);
    const points = Array.from({ length: 18 }, (_, k) => gridParams(d.space, k));
    expect(new Set(points.map((p) => JSON.stringify(p))).size).toBe(18);
    expect(points[0]).toEqual({ batchSize: 16, learningRate: 0.0001, optimizer: "adam" });
    expect(points[1]).toEqual({ batchSize: 16, learningRate: 0.0001, optimizer: "sgd" });
    // log range: geometric points
    expect(points[2].learningRate).toBeCloseTo(Math.sqrt(1e-4 * 1e-1), 10);
    expect(points[17]).toEqual({ batchSize: 256, learningRate: 0.1, optimizer: "sgd" });
    expect(() => gridParams(d.space, 18)).toThrow(/past the grid/);
  });
});

describe("random", () => {
  it("is seeded per trial: same definition, same trials, in any order; another seed differs", () => {
    const d = def();
    const a = [0, 1, 2].map((k) => proposeParams(d, k));
    const b = [2, 1, 0].map((k) => proposeParams(d, k)).reverse();
    expect(a).toEqual(b);
    expect(proposeParams(def({ seed: 7 }), 0)).not.toEqual(a[0]);
    expect(a[0]).not.toEqual(a[1]);
  });

  it("draws log ranges uniformly in log space, whole numbers for integer fields, every value valid", () => {
    const d = def();
    const lrs: number[] = [];
    for (let k = 0; k < 2000; k++) {
      const p = randomParams(d.space, trialRandom(3, k));
      expect(Number.isInteger(p.batchSize)).toBe(true);
      expect(trainConfigSchema.safeParse(trialConfig(d, p, k)).success).toBe(true);
      lrs.push(p.learningRate as number);
    }
    // each decade of [1e-4, 1e-1] gets about a third
    const below1e3 = lrs.filter((x) => x < 1e-3).length / lrs.length;
    expect(below1e3).toBeGreaterThan(0.28);
    expect(below1e3).toBeLessThan(0.39);
    expect(Math.min(...lrs)).toBeGreaterThanOrEqual(1e-4);
    expect(Math.max(...lrs)).toBeLessThanOrEqual(1e-1);
  });
});

describe("TPE", () => {
  it("splits at the gamma quantile, pruned trials always bad", () => {
    const obs: Observation[] = [1, 2, 3, 4, 5, 6, 7, 8].map((s) => ({ params: { x: s }, score: s }));
    obs.push({ params: { x: 100 }, score: 100, pruned: true });
    const { good, bad } = splitObservations(obs, 0.25);
    expect(good.map((o) => o.score)).toEqual([8, 7]);
    expect(bad).toHaveLength(7);
    expect(bad.some((o) => o.score === 100)).toBe(true);
  });

  it("Parzen densities integrate to about 1 on [0, 1] and peak near the points", () => {
    const p = new ParzenEstimator([0.2, 0.22, 0.25]);
    let integral = 0;
    for (let i = 0; i < 1000; i++) integral += Math.exp(p.logPdf((i + 0.5) / 1000)) / 1000;
    expect(integral).toBeCloseTo(1, 1);
    expect(p.logPdf(0.22)).toBeGreaterThan(p.logPdf(0.8));
  });

  it("on a 1-d quadratic, proposes near the optimum once good trials are seen (beats random)", () => {
    const space = { dropout: { type: "range" as const, min: 0, max: 0.9, scale: "linear" as const, steps: 3 } };
    const f = (x: number) => -((x - 0.7) ** 2);
    const run = (useTpe: boolean, seed: number) => {
      const obs: Observation[] = [];
      for (let k = 0; k < 30; k++) {
        const random = trialRandom(seed, k);
        const p = useTpe && k >= 5 ? tpeParams(space, obs, { gamma: 0.25, candidates: 24 }, random) : randomParams(space, random);
        obs.push({ params: p, score: f(p.dropout as number) });
      }
      return Math.max(...obs.slice(5).map((o) => o.score));
    };
    let wins = 0;
    for (let seed = 0; seed < 10; seed++) if (run(true, seed) >= run(false, seed)) wins++;
    expect(wins).toBeGreaterThanOrEqual(8);
  });

  it("learns which choice is good", () => {
    const space = { optimizer: { type: "choice" as const, values: ["adam", "adamw", "sgd"] } };
    const obs: Observation[] = [];
    for (let i = 0; i < 12; i++) obs.push({ params: { optimizer: ["adam", "adamw", "sgd"][i % 3] }, score: i % 3 === 2 ? 1 : 0 });
    const picks = Array.from({ length: 20 }, (_, k) => tpeParams(space, obs, { gamma: 0.25, candidates: 24 }, trialRandom(1, k)).optimizer);
    expect(picks.filter((p) => p === "sgd").length).toBeGreaterThanOrEqual(18);
  });

  it("uses random trials until startupTrials have completed", () => {
    const d = def({ method: "tpe", tpe: { startupTrials: 3 } });
    const obs: Observation[] = [{ params: proposeParams(d, 0), score: 0.5 }];
    expect(proposeParams(d, 1, obs)).toEqual(proposeParams(def(), 1));
  });
});

describe("ASHA", () => {
  it("places rungs at minResource * eta^k below the last epoch", () => {
    expect(ashaRungs(1, 3, 9)).toEqual([1, 3]);
    expect(ashaRungs(1, 3, 10)).toEqual([1, 3, 9]);
    expect(ashaRungs(2, 2, 16)).toEqual([2, 4, 8]);
    expect(ashaRungs(5, 3, 5)).toEqual([]);
  });

  it("keeps the top 1/eta at a rung, the best so far while fewer than eta reached it", () => {
    // maximise: 9 trials at the rung, eta 3 -> top 3 go on
    const vals = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
    expect(ashaDecision(0.7, vals, 3, true)).toBe("continue");
    expect(ashaDecision(0.6, vals, 3, true)).toBe("stop");
    // minimise (loss)
    expect(ashaDecision(0.3, vals, 3, false)).toBe("continue");
    expect(ashaDecision(0.4, vals, 3, false)).toBe("stop");
    // the first trial at a rung goes on; the second only if better than the first
    expect(ashaDecision(0.5, [0.5], 3, true)).toBe("continue");
    expect(ashaDecision(0.4, [0.5, 0.4], 3, true)).toBe("stop");
    expect(ashaDecision(Number.NaN, [0.5, Number.NaN], 3, true)).toBe("stop");
  });
});

describe("importance", () => {
  it("Spearman is 1 for monotone pairs, -1 reversed, 0 for constants", () => {
    expect(spearman([1, 2, 3, 4], [10, 20, 25, 100])).toBeCloseTo(1);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1);
    expect(spearman([1, 1, 1], [1, 2, 3])).toBe(0);
  });

  it("ranks the parameter that drives the objective first", () => {
    const trials = Array.from({ length: 20 }, (_, i) => ({
      params: { lr: i, noise: (i * 7919) % 13, opt: i % 2 ? "adam" : "sgd" },
      objective: i / 20,
    }));
    const rows = parameterImportance(trials, ["noise", "lr", "opt"]);
    expect(rows[0]).toMatchObject({ key: "lr", importance: 1, correlation: 1 });
    expect(rows.find((r) => r.key === "opt")?.correlation).toBeNull();
  });
});
