import { TRPCError } from "@trpc/server";
import type { z } from "zod";
import { asConfig } from "../../lib/config";
import { changedCells, diffMatrix, f1Deltas, paramTable } from "../../lib/diff";
import { asConfusionMatrix, asReport } from "../../lib/evaluation";
import type { Context } from "../../trpc";
import type { compareSchema } from "./compare.schema";

/** 2 to 4 runs side by side, and for every ordered pair (A, B) of runs with an evaluation the
 * difference matrix B - A and the per-class F1 deltas, computed here so every client agrees. */
export async function compareHandler(ctx: Context, input: z.output<typeof compareSchema>) {
  const found = await ctx.db.run.findMany({
    where: { id: { in: input.ids } },
    include: {
      epochs: { orderBy: { epoch: "asc" }, select: { epoch: true, loss: true, accuracy: true, valLoss: true, valAccuracy: true } },
      evaluation: { select: { testAccuracy: true, confusionMatrix: true, report: true } },
    },
  });
  const missing = input.ids.filter((id) => !found.some((r) => r.id === id));
  if (missing.length > 0) {
    throw new TRPCError({ code: "NOT_FOUND", message: `No run with id ${missing.map((id) => `"${id}"`).join(", ")}` });
  }

  const runs = input.ids.map((id) => {
    const { evaluation, config, ...run } = found.find((r) => r.id === id)!;
    const report = asReport(evaluation?.report);
    return {
      id: run.id,
      name: run.name,
      status: run.status,
      architecture: run.architecture,
      backend: run.backend,
      epochsPlanned: run.epochsPlanned,
      epochsCompleted: run.epochsCompleted,
      bestEpoch: run.bestEpoch,
      bestValAccuracy: run.bestValAccuracy,
      testAccuracy: run.testAccuracy,
      durationMs: run.durationMs,
      createdAt: run.createdAt,
      config: asConfig(config),
      epochs: run.epochs,
      confusionMatrix: asConfusionMatrix(evaluation?.confusionMatrix),
      f1: report ? report.perClass.map((c) => c.f1) : null,
      macroF1: report ? report.macroAvg.f1 : null,
    };
  });

  const diffs = [];
  for (const a of runs) {
    for (const b of runs) {
      if (a === b || !a.confusionMatrix || !b.confusionMatrix || a.confusionMatrix.length !== b.confusionMatrix.length) continue;
      diffs.push({
        a: a.id,
        b: b.id,
        matrix: diffMatrix(a.confusionMatrix, b.confusionMatrix),
        changes: changedCells(a.confusionMatrix, b.confusionMatrix),
        f1Delta: a.f1 && b.f1 ? f1Deltas(a.f1, b.f1) : null,
        macroF1Delta: a.macroF1 != null && b.macroF1 != null ? b.macroF1 - a.macroF1 : null,
        testAccuracyDelta: a.testAccuracy != null && b.testAccuracy != null ? b.testAccuracy - a.testAccuracy : null,
      });
    }
  }

  const params = paramTable(runs.map((r) => ({ ...r.config, "backend (actual)": r.backend, status: r.status })));
  return { runs, params, diffs };
}

export type CompareOutput = Awaited<ReturnType<typeof compareHandler>>;
