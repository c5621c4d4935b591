import { TRPCError } from "@trpc/server";
import type { z } from "zod";
import type { Context } from "../../trpc";
import type { hardExamplesSchema } from "./list.schema";

const FULL_TEST_SET = 10_000;

const runSelect = {
  id: true,
  name: true,
  architecture: true,
  status: true,
  testAccuracy: true,
  datasetChecksum: true,
  createdAt: true,
  evaluation: { select: { id: true, numExamples: true } },
} as const;

/** The runs to aggregate over: the ones asked for, all on one test set; else every succeeded run on
 * the full test set, else (no full-dataset run yet) those on the latest succeeded run's test set. */
async function selectRuns(ctx: Context, runIds: string[] | null | undefined) {
  if (runIds?.length) {
    const runs = await ctx.db.run.findMany({ where: { id: { in: runIds } }, select: runSelect, orderBy: { createdAt: "asc" } });
    const missing = runIds.filter((id) => !runs.some((r) => r.id === id));
    if (missing.length) throw new TRPCError({ code: "NOT_FOUND", message: `No run with id ${missing.map((m) => `"${m}"`).join(", ")}` });
    const unevaluated = runs.filter((r) => !r.evaluation);
    if (unevaluated.length) {
      throw new TRPCError({ code: "BAD_REQUEST", message: `Run(s) without a test evaluation: ${unevaluated.map((r) => `${r.name} (${r.status.toLowerCase()})`).join(", ")}` });
    }
    const sets = new Set(runs.map((r) => `${r.evaluation?.numExamples}|${r.datasetChecksum ?? ""}`));
    if (sets.size > 1) {
      // A test index names a different image in another test set: mixing them would be meaningless.
      throw new TRPCError({ code: "BAD_REQUEST", message: "The selected runs were evaluated on different test sets; select runs of one dataset" });
    }
    return runs;
  }
  const full = await ctx.db.run.findMany({
    where: { status: "SUCCEEDED", evaluation: { numExamples: FULL_TEST_SET } },
    select: runSelect,
    orderBy: { createdAt: "asc" },
  });
  if (full.length) return full;
  const latest = await ctx.db.run.findFirst({ where: { status: "SUCCEEDED", evaluation: { isNot: null } }, select: runSelect, orderBy: { createdAt: "desc" } });
  if (!latest) return [];
  return ctx.db.run.findMany({
    where: { status: "SUCCEEDED", datasetChecksum: latest.datasetChecksum, evaluation: { numExamples: latest.evaluation?.numExamples } },
    select: runSelect,
    orderBy: { createdAt: "asc" },
  });
}

/**
 * Test images that the selected runs got wrong, aggregated across runs: for each image how many runs
 * misclassified it (and as what), most-missed first. Built on the Misclassified rows every
 * evaluation records; one GROUP BY over them (index on evaluationId / testIndex), then the rows of
 * the page's images only.
 */
export async function hardExamplesHandler(ctx: Context, input: z.output<typeof hardExamplesSchema>) {
  const runs = await selectRuns(ctx, input.runIds);
  const evalToRun = new Map(runs.map((r) => [r.evaluation?.id as string, r.id]));
  const evaluationIds = [...evalToRun.keys()];
  const where = {
    evaluationId: { in: evaluationIds },
    ...(input.trueLabel != null ? { trueLabel: input.trueLabel } : {}),
    ...(input.predLabel != null ? { predLabel: input.predLabel } : {}),
  };
  const empty = { runs: [], numExamples: 0, total: 0, allWrong: 0, byWrongRuns: [], items: [], pairs: [], nextCursor: null };
  if (!runs.length) return empty;

  const [groups, pairRows] = await Promise.all([
    ctx.db.misclassified.groupBy({ by: ["testIndex", "trueLabel"], where, _count: { _all: true } }),
    ctx.db.misclassified.groupBy({ by: ["trueLabel", "predLabel"], where: { evaluationId: { in: evaluationIds } }, _count: { _all: true } }),
  ]);
  const n = runs.length;
  // byWrongRuns[k] = images that exactly k of the selected runs got wrong (under the filter).
  const byWrongRuns = new Array<number>(n + 1).fill(0);
  for (const g of groups) byWrongRuns[g._count._all]++;
  const kept = input.view === "all" ? groups.filter((g) => g._count._all === n) : groups;
  kept.sort((a, b) => b._count._all - a._count._all || a.testIndex - b.testIndex);
  const skip = input.cursor ?? 0;
  const page = kept.slice(skip, skip + input.limit);

  const rows = page.length
    ? await ctx.db.misclassified.findMany({
        where: { evaluationId: { in: evaluationIds }, testIndex: { in: page.map((g) => g.testIndex) } },
        select: { evaluationId: true, testIndex: true, predLabel: true, confidence: true },
      })
    : [];
  const byImage = new Map<number, { runId: string; predLabel: number; confidence: number }[]>();
  for (const r of rows) {
    let list = byImage.get(r.testIndex);
    if (!list) byImage.set(r.testIndex, (list = []));
    list.push({ runId: evalToRun.get(r.evaluationId) as string, predLabel: r.predLabel, confidence: r.confidence });
  }
  const runOrder = new Map(runs.map((r, i) => [r.id, i]));
  const items = page.map((g) => {
    const predictions = (byImage.get(g.testIndex) ?? []).sort((a, b) => (runOrder.get(a.runId) ?? 0) - (runOrder.get(b.runId) ?? 0));
    const predicted = new Array<number>(10).fill(0);
    for (const p of predictions) predicted[p.predLabel]++;
    return {
      testIndex: g.testIndex,
      trueLabel: g.trueLabel,
      /** Runs that made the filtered mistake (the pair's, or any). */
      matchingRuns: g._count._all,
      /** Runs that got the image wrong at all, and how often each wrong class was predicted. */
      wrongRuns: predictions.length,
      predicted,
      predictions,
    };
  });

  return {
    runs: runs.map(({ evaluation, ...r }) => ({ id: r.id, name: r.name, architecture: r.architecture, testAccuracy: r.testAccuracy })),
    numExamples: runs[0].evaluation?.numExamples ?? 0,
    /** Images in the current view. */
    total: kept.length,
    allWrong: byWrongRuns[n],
    byWrongRuns,
    items,
    /** Every (true, predicted) pair's count of mistakes over the selected runs, largest first. */
    pairs: pairRows
      .map((p) => ({ trueLabel: p.trueLabel, predLabel: p.predLabel, count: p._count._all }))
      .sort((a, b) => b.count - a.count || a.trueLabel - b.trueLabel || a.predLabel - b.predLabel),
    nextCursor: skip + page.length < kept.length ? skip + page.length : null,
  };
}

export type HardExamplesOutput = Awaited<ReturnType<typeof hardExamplesHandler>>;
