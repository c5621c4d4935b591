import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, failure, insertRun, postgresAvailable, type TestDb, type TestDialect } from "../../test/db";

/** A run with an evaluation on a test set of `numExamples` images and exactly these mistakes:
 * [testIndex, trueLabel, predLabel]. */
async function runWithMistakes(
  t: TestDb,
  name: string,
  numExamples: number,
  mistakes: [number, number, number][],
  status = "SUCCEEDED",
  createdAt?: Date,
  withMatrix = true,
) {
  const id = await insertRun(t.db, { name, status, createdAt });
  // The confusion matrix the trainer would record with these mistakes (diagonal: the rest).
  const matrix = Array.from({ length: 10 }, (_, i) => Array.from({ length: 10 }, (_, j) => (i === j ? 40 : 0)));
  for (const [, tl, pl] of mistakes) matrix[tl][pl]++;
  await t.db.evaluation.create({
    data: {
      runId: id,
      testAccuracy: 1 - mistakes.length / numExamples,
      testLoss: 0.3,
      numExamples,
      confusionMatrix: withMatrix ? matrix : [],
      report: [],
      misclassified: {
        create: mistakes.map(([testIndex, trueLabel, predLabel]) => ({ testIndex, trueLabel, predLabel, confidence: 0.7, probabilities: [] })),
      },
    },
  });
  return id;
}

describe.each<TestDialect>(["sqlite", "postgres"])("%s", (dialect) => {
  describe.skipIf(dialect === "postgres" && !postgresAvailable)("hardExamples.list", () => {
    let t: TestDb;
    let a: string;
    let b: string;
    let c: string;
    let subset: string;
    let running: string;
    const t0 = Date.now() - 60_000;

    beforeAll(async () => {
      t = await createTestDb(dialect);
      // Test image 5 (a Shirt, 6) is wrong in all three full-dataset runs, 7 (Pullover, 2) too;
      // 9 and 11 in one run each.
      a = await runWithMistakes(t, "A", 10_000, [[5, 6, 0], [7, 2, 4], [9, 0, 6]], "SUCCEEDED", new Date(t0));
      b = await runWithMistakes(t, "B", 10_000, [[5, 6, 0], [7, 2, 6], [11, 1, 3]], "SUCCEEDED", new Date(t0 + 1000));
      c = await runWithMistakes(t, "C", 10_000, [[5, 6, 2], [7, 2, 4]], "SUCCEEDED", new Date(t0 + 2000));
      // Not in the default selection: another test set, a failed run.
      subset = await runWithMistakes(t, "subset", 500, [[5, 6, 0], [300, 3, 1]], "SUCCEEDED", new Date(t0 + 3000));
      await runWithMistakes(t, "failed", 10_000, [[9, 0, 6]], "FAILED", new Date(t0 + 4000));
      running = await insertRun(t.db, { name: "running", status: "RUNNING" });
    }, 120_000);
    afterAll(() => t?.close());

    it("aggregates every succeeded full-dataset run by default, most-missed first", async () => {
      const r = await t.api.hardExamples.list({});
      expect(r.runs.map((x) => x.name)).toEqual(["A", "B", "C"]);
      expect(r.selection).toBe("full-test-set");
      expect(r.numExamples).toBe(10_000);
      expect(r.items.map((i) => [i.testIndex, i.trueLabel, i.wrongRuns])).toEqual([
        [5, 6, 3],
        [7, 2, 3],
        [9, 0, 1],
        [11, 1, 1],
      ]);
      const five = r.items[0];
      expect(five.predictions).toEqual([
        { runId: a, predLabel: 0, confidence: 0.7 },
        { runId: b, predLabel: 0, confidence: 0.7 },
        { runId: c, predLabel: 2, confidence: 0.7 },
      ]);
      expect(five.predicted[0]).toBe(2);
      expect(five.predicted[2]).toBe(1);
      expect(r.allWrong).toBe(2);
      expect(r.byWrongRuns).toEqual([0, 2, 0, 2]);
      expect(r.total).toBe(4);
      // Ties by true class: (2 -> 4) in A and C, (6 -> 0) in A and B.
      expect(r.pairs.slice(0, 2)).toEqual([
        { trueLabel: 2, predLabel: 4, count: 2 },
        { trueLabel: 6, predLabel: 0, count: 2 },
      ]);
      expect(r.pairs.reduce((s, p) => s + p.count, 0)).toBe(8);
    });

    it("lists only the images every run got wrong, and pages", async () => {
      const all = await t.api.hardExamples.list({ view: "all" });
      expect(all.items.map((i) => i.testIndex)).toEqual([5, 7]);
      const p1 = await t.api.hardExamples.list({ limit: 3 });
      expect(p1.items.map((i) => i.testIndex)).toEqual([5, 7, 9]);
      expect(p1.nextCursor).toBe(3);
      const p2 = await t.api.hardExamples.list({ limit: 3, cursor: p1.nextCursor });
      expect(p2.items.map((i) => i.testIndex)).toEqual([11]);
      expect(p2.nextCursor).toBeNull();
    });

    it("narrows to one true/predicted pair across runs", async () => {
      const r = await t.api.hardExamples.list({ trueLabel: 2, predLabel: 4 });
      expect(r.items).toHaveLength(1);
      expect(r.items[0]).toMatchObject({ testIndex: 7, matchingRuns: 2, wrongRuns: 3 });
      expect(r.items[0].predictions.map((p) => p.predLabel)).toEqual([4, 6, 4]);
    });

    it("takes an explicit selection of runs", async () => {
      const r = await t.api.hardExamples.list({ runIds: [b, c] });
      expect(r.runs.map((x) => x.id)).toEqual([b, c]);
      expect(r.items.map((i) => [i.testIndex, i.wrongRuns])).toEqual([
        [5, 2],
        [7, 2],
        [11, 1],
      ]);
      const s = await t.api.hardExamples.list({ runIds: [subset] });
      expect(s.numExamples).toBe(500);
      expect(s.items.map((i) => i.testIndex)).toEqual([5, 300]);
    });

    it("selects the runs on the same test set as a given run", async () => {
      const r = await t.api.hardExamples.list({ sameTestSetAs: subset });
      expect(r.runs.map((x) => x.name)).toEqual(["subset"]);
      const full = await t.api.hardExamples.list({ sameTestSetAs: b });
      expect(full.runs.map((x) => x.name)).toEqual(["A", "B", "C"]);
      expect((await failure(() => t.api.hardExamples.list({ sameTestSetAs: running }))).message).toMatch(/no test evaluation/);
    });

    it("rejects bad selections with a clear error", async () => {
      expect((await failure(() => t.api.hardExamples.list({ runIds: [a, subset] }))).message).toMatch(/different test sets/);
      expect((await failure(() => t.api.hardExamples.list({ runIds: [a, "nosuchrun00000"] }))).code).toBe("NOT_FOUND");
      expect((await failure(() => t.api.hardExamples.list({ runIds: [running] }))).message).toMatch(/without a test evaluation/);
      expect((await failure(() => t.api.hardExamples.list({ runIds: [a, a] }))).message).toMatch(/only once/);
      expect((await failure(() => t.api.hardExamples.list({ runIds: [] }))).code).toBe("BAD_REQUEST");
      expect((await failure(() => t.api.hardExamples.list({ limit: 0 }))).code).toBe("BAD_REQUEST");
      expect((await failure(() => t.api.hardExamples.list({ trueLabel: 10 }))).code).toBe("BAD_REQUEST");
    });
  });
});

describe("hardExamples.list without full-dataset runs", () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb();
  });
  afterAll(() => t?.close());

  it("is empty on an empty database and falls back to the latest test set's runs", async () => {
    expect((await t.api.hardExamples.list({})).items).toEqual([]);
    // One evaluation without a usable confusion matrix (older rows): pairs are counted from the rows.
    await runWithMistakes(t, "subset 1", 500, [[1, 3, 1]], "SUCCEEDED", undefined, false);
    await runWithMistakes(t, "subset 2", 500, [[1, 3, 6], [2, 4, 2]]);
    const r = await t.api.hardExamples.list({});
    expect(r.selection).toBe("latest-test-set");
    expect(r.runs.map((x) => x.name).sort()).toEqual(["subset 1", "subset 2"]);
    expect(r.items.map((i) => [i.testIndex, i.wrongRuns])).toEqual([
      [1, 2],
      [2, 1],
    ]);
    expect(r.pairs).toEqual([
      { trueLabel: 3, predLabel: 1, count: 1 },
      { trueLabel: 3, predLabel: 6, count: 1 },
      { trueLabel: 4, predLabel: 2, count: 1 },
    ]);
  });
});
