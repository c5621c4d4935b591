/**
 * Tree-structured Parzen estimator (Bergstra, Bardenet, Bengio & Kégl 2011, "Algorithms for
 * Hyper-Parameter Optimization"), for the flat spaces sweeps have. The observed trials are split at
 * the gamma quantile of the objective into "good" and "bad"; each parameter gets a Parzen density
 * per group, l(x) from the good and g(x) from the bad; candidates are drawn from l and the one with
 * the largest l(x)/g(x) (summed in log over the parameters) is proposed. Numeric parameters live in
 * the unit interval (log ranges in log space) with hyperopt's adaptive bandwidths and a wide prior
 * component; choices are smoothed frequencies. Pruned trials count as bad.
 */

import { valueAt } from "./random";
import type { Dimension, TrialParams } from "./schema";

export interface Observation {
  params: TrialParams;
  /** The objective, larger is better (callers negate a loss). */
  score: number;
  /** Stopped early by the pruner: always in the bad group. */
  pruned?: boolean;
}

export interface TpeOptions {
  gamma: number;
  candidates: number;
}

/** Where a value lies in its dimension: [0, 1] for ranges, the index for choices. */
export function toUnit(dim: Dimension, value: unknown): number {
  if (dim.type === "choice") return Math.max(0, dim.values.indexOf(value as string | number | boolean));
  const v = Number(value);
  if (dim.scale === "log") return clamp01((Math.log(v) - Math.log(dim.min)) / (Math.log(dim.max) - Math.log(dim.min)));
  return clamp01((v - dim.min) / (dim.max - dim.min));
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

/** One mixture of normals truncated to [0, 1]. */
export class ParzenEstimator {
  readonly mus: number[];
  readonly sigmas: number[];
  constructor(points: readonly number[]) {
    // hyperopt's adaptive_parzen_normal: a prior at the centre with the interval's width, and each
    // point's bandwidth the larger gap to its neighbours, clipped to [1 / min(100, n + 1), 1].
    const mus = [...points, 0.5].sort((a, b) => a - b);
    const minSigma = 1 / Math.min(100, mus.length + 1);
    this.mus = mus;
    this.sigmas = mus.map((m, i) => {
      const left = i > 0 ? m - mus[i - 1] : m;
      const right = i < mus.length - 1 ? mus[i + 1] - m : 1 - m;
      return Math.min(1, Math.max(minSigma, left, right));
    });
    // The prior keeps the full width.
    const prior = mus.indexOf(0.5);
    this.sigmas[prior] = 1;
  }
  logPdf(x: number): number {
    let p = 0;
    for (let i = 0; i < this.mus.length; i++) {
      const m = this.mus[i];
      const s = this.sigmas[i];
      const mass = normalCdf((1 - m) / s) - normalCdf(-m / s);
      p += Math.exp(-0.5 * ((x - m) / s) ** 2) / (s * Math.sqrt(2 * Math.PI) * Math.max(mass, 1e-12));
    }
    return Math.log(p / this.mus.length + 1e-300);
  }
  sample(random: () => number): number {
    const i = Math.min(this.mus.length - 1, Math.floor(random() * this.mus.length));
    for (let attempt = 0; attempt < 100; attempt++) {
      const x = this.mus[i] + this.sigmas[i] * gaussian(random);
      if (x >= 0 && x <= 1) return x;
    }
    return clamp01(this.mus[i]);
  }
}

/** Smoothed frequencies of choice indices (one pseudo-count per choice). */
export class CategoricalEstimator {
  readonly weights: number[];
  constructor(indices: readonly number[], size: number) {
    const counts = new Array<number>(size).fill(1);
    for (const i of indices) counts[i]++;
    const total = counts.reduce((a, b) => a + b, 0);
    this.weights = counts.map((c) => c / total);
  }
  logPdf(i: number): number {
    return Math.log(this.weights[i]);
  }
  sample(random: () => number): number {
    let u = random();
    for (let i = 0; i < this.weights.length; i++) {
      u -= this.weights[i];
      if (u < 0) return i;
    }
    return this.weights.length - 1;
  }
}

/** Splits observations: the best ceil(gamma * n) completed trials are good, the rest bad. */
export function splitObservations(observations: readonly Observation[], gamma: number): { good: Observation[]; bad: Observation[] } {
  const completed = observations.filter((o) => !o.pruned && Number.isFinite(o.score)).sort((a, b) => b.score - a.score);
  const nGood = Math.max(1, Math.ceil(gamma * completed.length));
  return { good: completed.slice(0, nGood), bad: [...completed.slice(nGood), ...observations.filter((o) => o.pruned || !Number.isFinite(o.score))] };
}

/** The next trial's parameters by TPE; needs at least one completed observation. */
export function tpeParams(space: Record<string, Dimension>, observations: readonly Observation[], options: TpeOptions, random: () => number): TrialParams {
  const { good, bad } = splitObservations(observations, options.gamma);
  const keys = Object.keys(space).sort();
  const models = keys.map((key) => {
    const dim = space[key];
    const units = (os: Observation[]) => os.filter((o) => key in o.params).map((o) => toUnit(dim, o.params[key]));
    if (dim.type === "choice") {
      return { key, dim, l: new CategoricalEstimator(units(good), dim.values.length), g: new CategoricalEstimator(units(bad), dim.values.length) };
    }
    return { key, dim, l: new ParzenEstimator(units(good)), g: new ParzenEstimator(units(bad)) };
  });
  let best: number[] | undefined;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < options.candidates; c++) {
    const x = models.map((m) => m.l.sample(random));
    const score = models.reduce((s, m, i) => s + m.l.logPdf(x[i]) - m.g.logPdf(x[i]), 0);
    if (score > bestScore) {
      bestScore = score;
      best = x;
    }
  }
  const params: TrialParams = {};
  models.forEach((m, i) => {
    const u = best![i];
    params[m.key] = m.dim.type === "choice" ? m.dim.values[u] : valueAt(m.key, m.dim, u);
  });
  return params;
}

/** Box-Muller. */
function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Standard normal CDF via erf (Abramowitz & Stegun 7.1.26, error below 1.5e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return 0.5 * (1 + (x >= 0 ? erf : -erf));
}

