import { gridParams } from "./grid";
import { randomParams, trialRandom } from "./random";
import type { SweepDefinition, TrialParams } from "./schema";
import { type Observation, tpeParams } from "./tpe";

/** The parameters of trial `trialNumber`. Grid and random depend on the definition and the number
 * only (the same definition proposes the same trials); TPE also on the trials observed so far, and
 * is random (seeded by the trial number) until `tpe.startupTrials` trials have completed. */
export function proposeParams(definition: SweepDefinition, trialNumber: number, observations: readonly Observation[] = []): TrialParams {
  const random = trialRandom(definition.seed, trialNumber);
  switch (definition.method) {
    case "grid":
      return gridParams(definition.space, trialNumber);
    case "random":
      return randomParams(definition.space, random);
    case "tpe": {
      const completed = observations.filter((o) => !o.pruned && Number.isFinite(o.score)).length;
      if (completed < definition.tpe.startupTrials) return randomParams(definition.space, random);
      return tpeParams(definition.space, observations, definition.tpe, random);
    }
  }
}
