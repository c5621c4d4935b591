import { configField, type Dimension, gridValues, type TrialParams } from "./schema";

/** Grid search: the cartesian product of every parameter's values, in a fixed order (keys sorted,
 * the last key varying fastest); trial k is point k, so the sweep visits each point once. */
export function gridParams(space: Record<string, Dimension>, trialNumber: number): TrialParams {
  const keys = Object.keys(space).sort();
  const values = keys.map((k) => gridValues(space[k], configField(k)?.integer ?? false));
  const size = values.reduce((n, v) => n * v.length, 1);
  if (trialNumber >= size) throw new Error(`grid trial ${trialNumber} is past the grid's ${size} points`);
  const params: TrialParams = {};
  let rest = trialNumber;
  for (let i = keys.length - 1; i >= 0; i--) {
    params[keys[i]] = values[i][rest % values[i].length];
    rest = Math.floor(rest / values[i].length);
  }
  return params;
}
