import { maximises, parameterImportance, sweepDefinitionSchema } from "@fmnist/sweep";
import { trialObjective, trialParams } from "@fmnist/sweep/advance";
import type { z } from "zod";
import type { Context } from "../../trpc";
import type { sweepByIdSchema } from "./id.schema";
import { sweepNotFound } from "./not-found";

/** The sweep page: definition, trials with their parameters, objective and per-epoch objective,
 * the best trial, and parameter importance over the trials that have an objective. */
export async function sweepByIdHandler(ctx: Context, input: z.output<typeof sweepByIdSchema>) {
  const sweep = await ctx.db.sweep.findUnique({ where: { id: input.id } });
  if (!sweep) throw sweepNotFound(input.id);
  const definition = sweepDefinitionSchema.parse(sweep.definition);
  const runs = await ctx.db.run.findMany({
    where: { sweepId: sweep.id },
    orderBy: { trialNumber: "asc" },
    select: {
      id: true,
      name: true,
      trialNumber: true,
      status: true,
      config: true,
      epochsPlanned: true,
      epochsCompleted: true,
      bestValAccuracy: true,
      bestValLoss: true,
      testAccuracy: true,
      error: true,
      progress: true,
      createdAt: true,
      finishedAt: true,
      durationMs: true,
      epochs: { orderBy: { epoch: "asc" }, select: { epoch: true, valAccuracy: true, valLoss: true } },
    },
  });
  const maximise = maximises(definition.objective);
  const trials = runs.map(({ config, epochs, ...r }) => ({
    ...r,
    params: trialParams(definition, config),
    objective: trialObjective(definition, r),
    curve: epochs.map((e) => ({ epoch: e.epoch, value: definition.objective === "val_accuracy" ? e.valAccuracy : e.valLoss })),
  }));
  // The best trial: completed or pruned, by the objective (pruned ones rarely win, but may).
  let best: (typeof trials)[number] | undefined;
  for (const t of trials) {
    if (t.objective == null || (t.status !== "SUCCEEDED" && t.status !== "PRUNED")) continue;
    if (!best || (maximise ? t.objective > best.objective! : t.objective < best.objective!)) best = t;
  }
  const scored = trials.filter((t) => t.objective != null && (t.status === "SUCCEEDED" || t.status === "PRUNED"));
  const importance = parameterImportance(
    scored.map((t) => ({ params: t.params, objective: t.objective! })),
    Object.keys(definition.space),
  );
  return {
    id: sweep.id,
    name: sweep.name,
    method: sweep.method,
    objective: definition.objective,
    maximise,
    status: sweep.status,
    trialBudget: sweep.trialBudget,
    maxConcurrent: sweep.maxConcurrent,
    createdAt: sweep.createdAt,
    finishedAt: sweep.finishedAt,
    definition,
    trials,
    bestTrialId: best?.id ?? null,
    importance,
  };
}
