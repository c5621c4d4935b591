import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, insertRun, matrix, type TestDb } from "../../test/db";

let t: TestDb;
let a: string;
let b: string;
let c: string;
let running: string;

beforeAll(async () => {
  t = await createTestDb();
  // Shirt (6) predicted as T-shirt/top (0): 112 in A, 87 in B; Pullover (2) as Coat (4): 10 -> 25.
  a = await insertRun(t.db, { name: "A", batchSize: 64, testAccuracy: 0.8, confusionMatrix: matrix(800, [[6, 0, 112], [2, 4, 10]]) });
  b = await insertRun(t.db, { name: "B", batchSize: 128, testAccuracy: 0.82, confusionMatrix: matrix(800, [[6, 0, 87], [2, 4, 25], [6, 6, 825]]) });
  c = await insertRun(t.db, { name: "C", architecture: "mlp", batchSize: 64, testAccuracy: 0.7, confusionMatrix: matrix(700) });
  running = await insertRun(t.db, { name: "R", status: "RUNNING" });
});
afterAll(() => t.close());

describe("runs.compare", () => {
  it("keeps the requested order and returns curves, matrices and F1 per run", async () => {
    const r = await t.api.runs.compare({ ids: [b, a] });
    expect(r.runs.map((x) => x.name)).toEqual(["B", "A"]);
    expect(r.runs[0].epochs).toHaveLength(2);
    expect(r.runs[1].confusionMatrix?.[6][0]).toBe(112);
    expect(r.runs[0].f1).toHaveLength(10);
  });

  it("computes the difference matrix B - A and which changes are better", async () => {
    const r = await t.api.runs.compare({ ids: [a, b] });
    const d = r.diffs.find((x) => x.a === a && x.b === b)!;
    expect(d.matrix[6][0]).toBe(87 - 112);
    expect(d.matrix[2][4]).toBe(15);
    expect(d.matrix[6][6]).toBe(25);
    expect(d.matrix[0][0]).toBe(0);
    const shirt = d.changes.find((x) => x.trueLabel === 6 && x.predLabel === 0)!;
    expect(shirt).toEqual({ trueLabel: 6, predLabel: 0, a: 112, b: 87, delta: -25, better: true });
    expect(d.changes.find((x) => x.trueLabel === 2 && x.predLabel === 4)?.better).toBe(false);
    expect(d.changes.find((x) => x.trueLabel === 6 && x.predLabel === 6)?.better).toBe(true);
    // The reverse pair is the negation.
    const rev = r.diffs.find((x) => x.a === b && x.b === a)!;
    expect(rev.matrix[6][0]).toBe(25);
    expect(d.testAccuracyDelta).toBeCloseTo(0.02, 10);
  });

  it("computes per-class F1 deltas that match the two reports", async () => {
    const r = await t.api.runs.compare({ ids: [a, b] });
    const [ra, rb] = r.runs;
    const d = r.diffs.find((x) => x.a === a && x.b === b)!;
    for (let k = 0; k < 10; k++) expect(d.f1Delta![k]).toBeCloseTo(rb.f1![k] - ra.f1![k], 12);
    // Shirt's recall rose (fewer shirts called T-shirts), T-shirt's precision rose: both F1 up.
    expect(d.f1Delta![6]).toBeGreaterThan(0);
    expect(d.f1Delta![0]).toBeGreaterThan(0);
    expect(d.macroF1Delta).toBeCloseTo(rb.macroF1! - ra.macroF1!, 12);
  });

  it("lists parameters side by side and flags the ones that differ", async () => {
    const r = await t.api.runs.compare({ ids: [a, b, c] });
    const row = (key: string) => r.params.find((p) => p.key === key)!;
    expect(row("batchSize")).toEqual({ key: "batchSize", values: [64, 128, 64], differs: true });
    expect(row("architecture").differs).toBe(true);
    expect(row("learningRate").differs).toBe(false);
    expect(row("dataset.dir").differs).toBe(false);
    expect(r.diffs).toHaveLength(6);
  });

  it("includes a run without an evaluation but computes no diff for it", async () => {
    const r = await t.api.runs.compare({ ids: [a, running] });
    expect(r.runs[1].confusionMatrix).toBeNull();
    expect(r.diffs).toEqual([]);
  });
});
