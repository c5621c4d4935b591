/**
 * Asynchronous successive halving (ASHA, Li et al. 2020) as a stopping rule, the way Optuna's
 * SuccessiveHalvingPruner applies it: rungs at minResource * eta^k epochs (below the trial's last
 * epoch); a trial reaching a rung goes on only if its objective there is among the top 1/eta of
 * every trial that reached that rung so far (itself included). While fewer than eta trials have
 * reached a rung, only the best so far goes on (trials cannot be paused and resumed here).
 */
export function ashaRungs(minResource: number, reductionFactor: number, epochs: number): number[] {
  const rungs: number[] = [];
  for (let r = minResource; r < epochs; r *= reductionFactor) rungs.push(r);
  return rungs;
}

export type AshaDecision = "continue" | "stop";

/** `competing`: the objective at this rung of every trial that reached it, this one included. */
export function ashaDecision(value: number, competing: readonly number[], reductionFactor: number, maximise: boolean): AshaDecision {
  const values = competing.filter(Number.isFinite);
  if (!Number.isFinite(value)) return "stop";
  const k = Math.max(1, Math.floor(values.length / reductionFactor));
  const sorted = [...values].sort((a, b) => (maximise ? b - a : a - b));
  const threshold = sorted[Math.min(k, sorted.length) - 1];
  if (threshold === undefined) return "continue";
  return (maximise ? value >= threshold : value <= threshold) ? "continue" : "stop";
}
