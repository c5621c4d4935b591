import { TRPCError } from "@trpc/server";
import type { z } from "zod";
import { runNotFound } from "../../lib/not-found";
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
  evaluation: { select: { id: true, numExamples: true, confusionMatrix: true } },
} as const;

/** How the runs were chosen: asked for, like a given run, every run on the full test set, or (no
 * full-dataset run yet) the runs on the latest succeeded run's test set. */
type Selection = "explicit" | "same-test-set" | "full-test-set" | "latest-test-set";

/** The runs to aggregate over: the ones asked for, all on one test set; else every succeeded run on
 * the full test set, else (no full-dataset run yet) those on the latest succeeded run's test set. */
async function selectRuns(ctx: Context, runIds: string[] | null | undefined, sameTestSetAs: string | null | undefined) {
  if (sameTestSetAs && !runIds?.length) {
    const like = await ctx.db.run.findUnique({ where: { id: sameTestSetAs }, select: runSelect });
    if (!like) throw runNotFound(sameTestSetAs);
    if (!like.evaluation) throw new TRPCError({ code: "BAD_REQUEST", message: `Run ${like.name} has no test evaluation` });
    const runs = await ctx.db.run.findMany({
      where: { status: "SUCCEEDED", datasetChecksum: like.datasetChecksum, evaluation: { numExamples: like.evaluation.numExamples } },
      select: runSelect,
      orderBy: { createdAt: "asc" },
    });
    return { runs, selection: "same-test-set" as Selection };
  }
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
    return { runs, selection: "explicit" as Selection };
  }
  const full = await ctx.db.run.findMany({
    where: { status: "SUCCEEDED", evaluation: { numExamples: FULL_TEST_SET } },
    select: runSelect,
    orderBy: { createdAt: "asc" },
  });
  if (full.length) return { runs: full, selection: "full-test-set" as Selection };
  const latest = await ctx.db.run.findFirst({ where: { status: "SUCCEEDED", evaluation: { isNot: null } }, select: runSelect, orderBy: { createdAt: "desc" } });
  if (!latest) return { runs: [], selection: "full-test-set" as Selection };
  const runs = await ctx.db.run.findMany({
    where: { status: "SUCCEEDED", datasetChecksum: latest.datasetChecksum, evaluation: { numExamples: latest.evaluation?.numExamples } },
    select: runSelect,
    orderBy: { createdAt: "asc" },
  });
  return { runs, selection: "latest-test-set" as Selection };
}

const isMatrix = (m: unknown): m is number[][] =>
  Array.isArray(m) && m.length === 10 && m.every((row) => Array.isArray(row) && row.length === 10 && row.every((v) => Number.isInteger(v) && v >= 0));

/** Mistakes per (true, predicted) pair over the runs, largest first. The trainer records the
 * confusion matrix and the misclassified rows from the same predictions in one transaction, so
 * summing the matrices gives the rows' counts without reading them; rows are counted only when
 * some evaluation has no usable matrix. */
async function pairCounts(ctx: Context, runs: { evaluation: { confusionMatrix: unknown } | null }[], evaluationIds: string[]) {
  const sum = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
  let out: { trueLabel: number; predLabel: number; count: number }[] = [];
  if (runs.every((r) => isMatrix(r.evaluation?.confusionMatrix))) {
    for (const r of runs) {
      const m = r.evaluation?.confusionMatrix as number[][];
      for (let t = 0; t < 10; t++) for (let p = 0; p < 10; p++) sum[t][p] += m[t][p];
    }
    for (let t = 0; t < 10; t++) for (let p = 0; p < 10; p++) if (t !== p && sum[t][p] > 0) out.push({ trueLabel: t, predLabel: p, count: sum[t][p] });
  } else {
    const pg = ctx.dialect === "postgres";
    const rows = await ctx.db.$queryRawUnsafe<{ trueLabel: number; predLabel: number; n: number | bigint }[]>(
      `SELECT "trueLabel" AS "trueLabel", "predLabel" AS "predLabel", COUNT(*) AS "n" FROM "Misclassified" WHERE "evaluationId" IN (${evaluationIds.map((_, i) => (pg ? `$${i + 1}` : "?")).join(",")}) GROUP BY "trueLabel", "predLabel"`,
      ...evaluationIds,
    );
    out = rows.map((r) => ({ trueLabel: Number(r.trueLabel), predLabel: Number(r.predLabel), count: Number(r.n) }));
  }
  return out.sort((a, b) => b.count - a.count || a.trueLabel - b.trueLabel || a.predLabel - b.predLabel);
}

/**
 * Test images that the selected runs got wrong, aggregated across runs: for each image how many runs
 * misclassified it (and as what), most-missed first. Built on the Misclassified rows every
 * evaluation records; one GROUP BY over them (index on evaluationId / testIndex), then the rows of
 * the page's images only.
 */
export async function hardExamplesHandler(ctx: Context, input: z.output<typeof hardExamplesSchema>) {
  const { runs, selection } = await selectRuns(ctx, input.runIds, input.sameTestSetAs);
  const evalToRun = new Map(runs.map((r) => [r.evaluation?.id as string, r.id]));
  const evaluationIds = [...evalToRun.keys()];
  const empty = { selection, runs: [], numExamples: 0, total: 0, allWrong: 0, byWrongRuns: [], items: [], pairs: [], nextCursor: null };
  if (!runs.length) return empty;

  // Raw SQL: Prisma's groupBy turns the ~10,000 groups of 100 runs into objects through its query
  // compiler, several times slower than the scan itself. Same SQL on SQLite and PostgreSQL but for
  // the placeholders.
  const pg = ctx.dialect === "postgres";
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return pg ? `$${params.length}` : "?";
  };
  const inEvaluations = `"evaluationId" IN (${evaluationIds.map(p).join(",")})`;
  const pairFilter = `${input.trueLabel != null ? ` AND "trueLabel" = ${p(input.trueLabel)}` : ""}${input.predLabel != null ? ` AND "predLabel" = ${p(input.predLabel)}` : ""}`;
  // On SQLite, reading 90,000 rows for their testIndex is the cost; this form stays inside two
  // indexes (the evaluationId one gives the rowids, the testIndex one is scanned in order, so the
  // GROUP BY needs no sort either).
  const groupSql = pg
    ? `SELECT "testIndex" AS "testIndex", COUNT(*) AS "n" FROM "Misclassified" WHERE ${inEvaluations}${pairFilter} GROUP BY "testIndex"`
    : `SELECT "testIndex" AS "testIndex", COUNT(*) AS "n" FROM "Misclassified" INDEXED BY "Misclassified_testIndex_idx" WHERE rowid IN (SELECT rowid FROM "Misclassified" WHERE ${inEvaluations}${pairFilter}) GROUP BY "testIndex"`;
  const groupParams = [...params];
  type Count = number | bigint;
  const groupRows = await ctx.db.$queryRawUnsafe<{ testIndex: number; n: Count }[]>(groupSql, ...groupParams);
  const pairs = await pairCounts(ctx, runs, evaluationIds);
  const groups = groupRows.map((g) => ({ testIndex: Number(g.testIndex), count: Number(g.n) }));
  const n = runs.length;
  // byWrongRuns[k] = images that exactly k of the selected runs got wrong (under the filter).
  const byWrongRuns = new Array<number>(n + 1).fill(0);
  for (const g of groups) byWrongRuns[g.count]++;
  const kept = input.view === "all" ? groups.filter((g) => g.count === n) : groups;
  kept.sort((a, b) => b.count - a.count || a.testIndex - b.testIndex);
  const skip = input.cursor ?? 0;
  const page = kept.slice(skip, skip + input.limit);

  params.length = 0;
  const rows = page.length
    ? await ctx.db.$queryRawUnsafe<{ evaluationId: string; testIndex: number; trueLabel: number; predLabel: number; confidence: number }[]>(
        `SELECT "evaluationId" AS "evaluationId", "testIndex" AS "testIndex", "trueLabel" AS "trueLabel", "predLabel" AS "predLabel", "confidence" AS "confidence" FROM "Misclassified" WHERE "testIndex" IN (${page.map((g) => p(g.testIndex)).join(",")}) AND ${`"evaluationId" IN (${evaluationIds.map(p).join(",")})`}`,
        ...params,
      )
    : [];
  const byImage = new Map<number, { runId: string; predLabel: number; confidence: number }[]>();
  const trueLabels = new Map<number, number>();
  for (const r of rows) {
    trueLabels.set(Number(r.testIndex), Number(r.trueLabel));
    const list = byImage.get(Number(r.testIndex)) ?? [];
    byImage.set(Number(r.testIndex), list);
    list.push({ runId: evalToRun.get(r.evaluationId) as string, predLabel: Number(r.predLabel), confidence: Number(r.confidence) });
  }
  const runOrder = new Map(runs.map((r, i) => [r.id, i]));
  const items = page.map((g) => {
    const predictions = (byImage.get(g.testIndex) ?? []).sort((a, b) => (runOrder.get(a.runId) ?? 0) - (runOrder.get(b.runId) ?? 0));
    const predicted = new Array<number>(10).fill(0);
    for (const p of predictions) predicted[p.predLabel]++;
    return {
      testIndex: g.testIndex,
      trueLabel: trueLabels.get(g.testIndex) ?? -1,
      /** Runs that made the filtered mistake (the pair's, or any). */
      matchingRuns: g.count,
      /** Runs that got the image wrong at all, and how often each wrong class was predicted. */
      wrongRuns: predictions.length,
      predicted,
      predictions,
    };
  });

  return {
    selection,
    runs: runs.map(({ evaluation, ...r }) => ({ id: r.id, name: r.name, architecture: r.architecture, testAccuracy: r.testAccuracy })),
    numExamples: runs[0].evaluation?.numExamples ?? 0,
    /** Images in the current view. */
    total: kept.length,
    allWrong: byWrongRuns[n],
    byWrongRuns,
    items,
    /** Every (true, predicted) pair's count of mistakes over the selected runs, largest first. */
    pairs,
    nextCursor: skip + page.length < kept.length ? skip + page.length : null,
  };
}

export type HardExamplesOutput = Awaited<ReturnType<typeof hardExamplesHandler>>;
