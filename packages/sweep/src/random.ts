import { seededRandom } from "@fmnist/data/split";
import { configField, type Dimension, type TrialParams } from "./schema";

/** A PRNG for one trial of one sweep: mulberry32 seeded from (sweep seed, trial number), so trial k
 * gets the same values whichever process proposes it and in whatever order trials are proposed. */
export function trialRandom(seed: number, trialNumber: number): () => number {
  // Mix the two (Knuth's multiplicative hash) so neighbouring seeds do not give shifted sequences.
  return seededRandom((Math.imul(seed ^ 0x9e3779b9, 2654435761) + Math.imul(trialNumber + 1, 0x85ebca6b)) >>> 0);
}

/** Maps a uniform u in [0, 1) to a parameter value: linear or log ranges, whole numbers rounded,
 * choices picked with equal chance. */
export function valueAt(key: string, dim: Dimension, u: number): string | number | boolean {
  if (dim.type === "choice") return dim.values[Math.min(dim.values.length - 1, Math.floor(u * dim.values.length))];
  const v = dim.scale === "log" ? Math.exp(Math.log(dim.min) + u * (Math.log(dim.max) - Math.log(dim.min))) : dim.min + u * (dim.max - dim.min);
  return configField(key)?.integer ? Math.round(v) : Number(v.toPrecision(6));
}

/** Random search (Bergstra & Bengio 2012): every parameter drawn independently, uniformly (in log
 * space for log ranges). Keys in sorted order so a definition's key order does not matter. */
export function randomParams(space: Record<string, Dimension>, random: () => number): TrialParams {
  const params: TrialParams = {};
  for (const key of Object.keys(space).sort()) params[key] = valueAt(key, space[key], random());
  return params;
}
