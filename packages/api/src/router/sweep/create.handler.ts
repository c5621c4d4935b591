import type { SweepDefinition } from "@fmnist/sweep";
import { createSweep } from "@fmnist/sweep/advance";
import type { Context } from "../../trpc";

/** Stores the sweep and queues its first trials (up to maxConcurrent); workers do the rest. */
export function createSweepHandler(ctx: Context, input: SweepDefinition) {
  return createSweep(ctx.db, input);
}
