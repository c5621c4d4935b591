import { gridSize, MAX_TRIAL_BUDGET, sweepDefinitionSchema } from "@fmnist/sweep";
import { advanceSweep } from "@fmnist/sweep/advance";
import { TRPCError } from "@trpc/server";
import type { z } from "zod";
import type { Context } from "../../trpc";
import type { extendSweepSchema } from "./extend.schema";
import { sweepNotFound } from "./not-found";

/** Raises the trial budget of a running or finished sweep (a finished one runs again) and queues
 * the new trials. TPE proposes them from everything the sweep has learnt so far. */
export async function extendSweepHandler(ctx: Context, input: z.output<typeof extendSweepSchema>) {
  const sweep = await ctx.db.sweep.findUnique({ where: { id: input.id } });
  if (!sweep) throw sweepNotFound(input.id);
  if (sweep.status === "CANCELLED") throw new TRPCError({ code: "BAD_REQUEST", message: `Sweep "${sweep.name}" was cancelled; only running or finished sweeps can be extended.` });
  const budget = sweep.trialBudget + input.trials;
  if (budget > MAX_TRIAL_BUDGET) {
    throw new TRPCError({ code: "BAD_REQUEST", message: `trials: the sweep would have ${budget} trials; at most ${MAX_TRIAL_BUDGET} in all` });
  }
  const definition = sweepDefinitionSchema.parse(sweep.definition);
  if (definition.method === "grid" && budget > gridSize(definition.space)) {
    throw new TRPCError({ code: "BAD_REQUEST", message: `trials: the grid has ${gridSize(definition.space)} point(s) and ${sweep.trialBudget} are used` });
  }
  // Conditional on the budget just read, so two extensions at once both count.
  const { count } = await ctx.db.sweep.updateMany({
    where: { id: sweep.id, trialBudget: sweep.trialBudget, status: { not: "CANCELLED" } },
    data: { trialBudget: budget, status: "RUNNING", finishedAt: null },
  });
  if (count !== 1) throw new TRPCError({ code: "CONFLICT", message: "The sweep changed meanwhile; try again." });
  const advanced = await advanceSweep(ctx.db, sweep.id);
  return { id: sweep.id, trialBudget: budget, queued: advanced.queued.length };
}
