import type { z } from "zod";
import { runNotFound } from "../../lib/not-found";
import type { Context } from "../../trpc";
import type { misclassifiedSchema } from "./misclassified.schema";

/** Misclassified test images of a run, the most confident mistakes first. */
export async function misclassifiedHandler(ctx: Context, input: z.output<typeof misclassifiedSchema>) {
  const run = await ctx.db.run.findUnique({ where: { id: input.runId }, select: { id: true, evaluation: { select: { id: true } } } });
  if (!run) throw runNotFound(input.runId);
  const skip = input.cursor ?? 0;
  if (!run.evaluation) return { items: [], total: 0, nextCursor: null };

  const where = {
    evaluationId: run.evaluation.id,
    ...(input.trueLabel != null ? { trueLabel: input.trueLabel } : {}),
    ...(input.predLabel != null ? { predLabel: input.predLabel } : {}),
  };
  const [rows, total] = await Promise.all([
    ctx.db.misclassified.findMany({
      where,
      orderBy: [{ confidence: "desc" }, { testIndex: "asc" }],
      select: { testIndex: true, trueLabel: true, predLabel: true, confidence: true, probabilities: true },
      skip,
      take: input.limit + 1,
    }),
    ctx.db.misclassified.count({ where }),
  ]);
  const hasMore = rows.length > input.limit;
  const items = (hasMore ? rows.slice(0, input.limit) : rows).map((r) => ({
    ...r,
    probabilities: Array.isArray(r.probabilities) ? (r.probabilities as number[]) : [],
  }));
  return { items, total, nextCursor: hasMore ? skip + items.length : null };
}

export type MisclassifiedOutput = Awaited<ReturnType<typeof misclassifiedHandler>>;
