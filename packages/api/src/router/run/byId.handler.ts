import type { z } from "zod";
import { asConfig } from "../../lib/config";
import { asConfusionMatrix, asReport } from "../../lib/evaluation";
import { runNotFound } from "../../lib/not-found";
import type { Context } from "../../trpc";
import type { runByIdSchema } from "./byId.schema";

/** Everything the run page shows but the misclassified images (paginated separately). */
export async function runByIdHandler(ctx: Context, input: z.output<typeof runByIdSchema>) {
  const run = await ctx.db.run.findUnique({
    where: { id: input.id },
    include: {
      epochs: {
        orderBy: { epoch: "asc" },
        select: { epoch: true, loss: true, accuracy: true, valLoss: true, valAccuracy: true, learningRate: true, durationMs: true, imagesPerSec: true },
      },
      evaluation: {
        select: { id: true, testAccuracy: true, testLoss: true, numExamples: true, confusionMatrix: true, report: true, createdAt: true },
      },
      artifacts: { orderBy: { path: "asc" }, select: { kind: true, path: true, sizeBytes: true, createdAt: true } },
      tags: { orderBy: { tag: "asc" }, select: { tag: true } },
    },
  });
  if (!run) throw runNotFound(input.id);

  const { evaluation, artifacts, config, tags, ...rest } = run;
  const misclassifiedCount = evaluation ? await ctx.db.misclassified.count({ where: { evaluationId: evaluation.id } }) : 0;
  // The run this one was cloned or retried from (null once that run is deleted).
  const parent = run.parentRunId ? await ctx.db.run.findUnique({ where: { id: run.parentRunId }, select: { id: true, name: true, status: true } }) : null;
  return {
    ...rest,
    config: asConfig(config),
    tags: tags.map((t) => t.tag),
    parent,
    evaluation: evaluation
      ? {
          testAccuracy: evaluation.testAccuracy,
          testLoss: evaluation.testLoss,
          numExamples: evaluation.numExamples,
          confusionMatrix: asConfusionMatrix(evaluation.confusionMatrix),
          report: asReport(evaluation.report),
          misclassifiedCount,
          createdAt: evaluation.createdAt,
        }
      : null,
    // File names only: the download route serves them from ARTIFACTS_DIR/runs/<id>/.
    artifacts: artifacts.map((a) => ({ ...a, file: a.path.split("/").pop() ?? a.path })),
  };
}

export type RunByIdOutput = Awaited<ReturnType<typeof runByIdHandler>>;
