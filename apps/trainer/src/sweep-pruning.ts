// Early termination for sweep trials: a small fit() callback in the spirit of Optuna's pruning
// callbacks. After each epoch is recorded it asks the sweep module (ASHA at epoch rungs) whether the
// trial goes on; a stopped trial ends PRUNED with its epochs kept. It is not evaluated on the test
// set nor exported: that would cost a pruned trial as much as several epochs, and the sweep only
// looks at the validation objective.
import type { Db } from "@fmnist/db/client";
import { pruneVerdict } from "@fmnist/sweep/advance";
import type { Callback } from "./fit";
import type { EpochSummary } from "./progress";

/** Thrown from onEpochEnd to end a trial the pruner stopped (train() records it as PRUNED). */
export class TrialPruned extends Error {
  constructor(
    readonly epoch: number,
    readonly competing: number,
  ) {
    super(`pruned at epoch ${epoch} (successive halving: not in the top of ${competing} trial(s) at this rung)`);
  }
}

/** The pruning callback for a run that is a sweep trial with early termination; else undefined. Put
 * it after the recorder, so the epoch it judges is in the database when the sweep compares it. */
export async function sweepPruning(db: Db, runId: string): Promise<Callback | undefined> {
  const run = await db.run.findUnique({ where: { id: runId }, select: { sweepId: true } });
  if (!run?.sweepId) return undefined;
  return {
    onEpochEnd: async (e: EpochSummary) => {
      const verdict = await pruneVerdict(db, runId, e.epoch);
      if (verdict?.decision === "stop") throw new TrialPruned(e.epoch, verdict.competing);
    },
  };
}
