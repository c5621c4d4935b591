import { maximises, type SweepObjective } from "@fmnist/sweep";
import type { z } from "zod";
import type { Context } from "../../trpc";
import type { listSweepsSchema } from "./list.schema";

/** Sweeps newest first, each with its trials counted by status and its best objective so far. */
export async function listSweepsHandler(ctx: Context, input: z.output<typeof listSweepsSchema>) {
  const offset = input.cursor ?? 0;
  const [total, sweeps] = await Promise.all([
    ctx.db.sweep.count(),
    ctx.db.sweep.findMany({
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      skip: offset,
      take: input.limit,
      select: { id: true, name: true, method: true, objective: true, status: true, trialBudget: true, maxConcurrent: true, createdAt: true, finishedAt: true },
    }),
  ]);
  const ids = sweeps.map((s) => s.id);
  const [counts, bestMax, bestMin] = await Promise.all([
    ctx.db.run.groupBy({ by: ["sweepId", "status"], where: { sweepId: { in: ids } }, _count: { _all: true } }),
    ctx.db.run.groupBy({ by: ["sweepId"], where: { sweepId: { in: ids } }, _max: { bestValAccuracy: true } }),
    ctx.db.run.groupBy({ by: ["sweepId"], where: { sweepId: { in: ids } }, _min: { bestValLoss: true } }),
  ]);
  const items = sweeps.map((s) => {
    const byStatus: Record<string, number> = {};
    for (const c of counts) if (c.sweepId === s.id) byStatus[c.status] = c._count._all;
    const best = maximises(s.objective as SweepObjective)
      ? (bestMax.find((b) => b.sweepId === s.id)?._max.bestValAccuracy ?? null)
      : (bestMin.find((b) => b.sweepId === s.id)?._min.bestValLoss ?? null);
    return { ...s, trials: Object.values(byStatus).reduce((a, b) => a + b, 0), byStatus, bestObjective: best };
  });
  return { items, total, nextCursor: offset + items.length < total ? offset + items.length : null };
}
