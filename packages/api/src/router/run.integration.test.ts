import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, insertRun, matrix, postgresAvailable, type TestDb, type TestDialect } from "../../test/db";

// The same suite on SQLite and PostgreSQL: the list query is raw SQL with a branch per dialect.
describe.each<TestDialect>(["sqlite", "postgres"])("%s", (dialect) => {
  describe.skipIf(dialect === "postgres" && !postgresAvailable)("runs router", () => {
    suite(dialect);
  });
});

function suite(dialect: TestDialect) {
  let t: TestDb;
  const ids: Record<string, string> = {};
  const base = Date.parse("2026-11-01T10:00:00Z");

  beforeAll(async () => {
    t = await createTestDb(dialect);
    const seeds = [
      { name: "alpha cnn", architecture: "reference-cnn", batchSize: 128, learningRate: 0.001, testAccuracy: 0.91, bestValAccuracy: 0.9, durationMs: 5000 },
      { name: "beta MLP", architecture: "mlp", batchSize: 32, learningRate: 0.01, testAccuracy: 0.85, bestValAccuracy: 0.86, durationMs: 2000 },
      { name: "gamma tiny", architecture: "tiny-cnn", batchSize: 64, learningRate: 0.003, testAccuracy: 0.88, bestValAccuracy: 0.87, durationMs: 3000 },
      { name: "delta running", architecture: "tiny-cnn", status: "RUNNING", batchSize: 256, learningRate: 0.0005, testAccuracy: null, durationMs: null },
      { name: "epsilon failed", architecture: "mlp", status: "FAILED", batchSize: 16, learningRate: 0.1, testAccuracy: null, durationMs: 100 },
    ];
    for (const [i, s] of seeds.entries()) {
      ids[s.name] = await insertRun(t.db, {
        ...s,
        createdAt: new Date(base + i * 60_000),
        confusionMatrix: s.testAccuracy != null ? matrix(40, [[6, 0, 8], [0, 6, 5], [4, 2, 3]]) : undefined,
      });
    }
  });
  afterAll(() => t.close());

  const names = (r: { items: { name: string }[] }) => r.items.map((i) => i.name);

  describe("runs.list", () => {
    it("lists newest first by default, with the table's fields", async () => {
      const r = await t.api.runs.list();
      expect(names(r)).toEqual(["epsilon failed", "delta running", "gamma tiny", "beta MLP", "alpha cnn"]);
      expect(r.total).toBe(5);
      expect(r.nextCursor).toBeNull();
      const alpha = r.items.find((i) => i.name === "alpha cnn")!;
      expect(alpha).toMatchObject({ architecture: "reference-cnn", batchSize: 128, learningRate: 0.001, testAccuracy: 0.91, status: "SUCCEEDED" });
      expect(alpha.createdAt).toBeInstanceOf(Date);
    });

    it("sorts by test accuracy both ways, runs without one last", async () => {
      const desc = await t.api.runs.list({ sort: { column: "testAccuracy", direction: "desc" } });
      expect(names(desc).slice(0, 3)).toEqual(["alpha cnn", "gamma tiny", "beta MLP"]);
      const asc = await t.api.runs.list({ sort: { column: "testAccuracy", direction: "asc" } });
      expect(names(asc).slice(0, 3)).toEqual(["beta MLP", "gamma tiny", "alpha cnn"]);
      expect(asc.items.slice(3).every((i) => i.testAccuracy === null)).toBe(true);
    });

    it("sorts by config values (batch size, learning rate) and by name", async () => {
      const bs = await t.api.runs.list({ sort: { column: "batchSize", direction: "asc" } });
      expect(bs.items.map((i) => i.batchSize)).toEqual([16, 32, 64, 128, 256]);
      const lr = await t.api.runs.list({ sort: { column: "learningRate", direction: "desc" } });
      expect(lr.items.map((i) => i.learningRate)).toEqual([0.1, 0.01, 0.003, 0.001, 0.0005]);
      const byName = await t.api.runs.list({ sort: { column: "name", direction: "asc" } });
      expect(byName.items.map((i) => i.name)).toEqual(["alpha cnn", "beta MLP", "delta running", "epsilon failed", "gamma tiny"]);
      const dur = await t.api.runs.list({ sort: { column: "durationMs", direction: "asc" } });
      expect(dur.items.map((i) => i.durationMs)).toEqual([100, 2000, 3000, 5000, null]);
    });

    it("filters by status, architecture and name (case-insensitive)", async () => {
      const ok = await t.api.runs.list({ status: ["SUCCEEDED"] });
      expect(ok.total).toBe(3);
      const live = await t.api.runs.list({ status: ["RUNNING", "FAILED"] });
      expect(names(live).sort()).toEqual(["delta running", "epsilon failed"]);
      const mlp = await t.api.runs.list({ architecture: "mlp" });
      expect(names(mlp).sort()).toEqual(["beta MLP", "epsilon failed"]);
      const search = await t.api.runs.list({ search: "mlp" });
      expect(names(search)).toEqual(["beta MLP"]);
      const combined = await t.api.runs.list({ architecture: "tiny-cnn", status: ["SUCCEEDED"], sort: { column: "batchSize", direction: "desc" } });
      expect(names(combined)).toEqual(["gamma tiny"]);
      const wildcard = await t.api.runs.list({ search: "%", sort: { column: "learningRate", direction: "asc" } });
      expect(wildcard.total).toBe(0);
      expect(wildcard.items).toEqual([]);
    });

    it("pages with a cursor until nextCursor is null", async () => {
      const seen: string[] = [];
      let cursor: number | null | undefined;
      let pages = 0;
      do {
        const page = await t.api.runs.list({ limit: 2, cursor, sort: { column: "testAccuracy", direction: "desc" } });
        expect(page.items.length).toBeLessThanOrEqual(2);
        expect(page.total).toBe(5);
        seen.push(...names(page));
        cursor = page.nextCursor;
        pages++;
      } while (cursor != null);
      expect(pages).toBe(3);
      expect(new Set(seen).size).toBe(5);
      const jsonPages = [0, 2, 4].map((c) => t.api.runs.list({ limit: 2, cursor: c, sort: { column: "batchSize", direction: "asc" } }));
      expect((await Promise.all(jsonPages)).flatMap((p) => p.items.map((i) => i.batchSize))).toEqual([16, 32, 64, 128, 256]);
    });
  });

  describe("runs.byId", () => {
    it("returns config, epochs in order, the evaluation and artifacts", async () => {
      const run = await t.api.runs.byId({ id: ids["alpha cnn"] });
      expect(run.name).toBe("alpha cnn");
      expect(run.config).toMatchObject({ batchSize: 128, architecture: "reference-cnn" });
      expect(run.epochs.map((e) => e.epoch)).toEqual([1, 2]);
      expect(run.evaluation?.confusionMatrix?.[6][0]).toBe(8);
      expect(run.evaluation?.report?.perClass).toHaveLength(10);
      expect(run.evaluation?.misclassifiedCount).toBe(16);
      expect(run.artifacts).toEqual([]);
    });

    it("a run without an evaluation has evaluation null", async () => {
      const run = await t.api.runs.byId({ id: ids["delta running"] });
      expect(run.status).toBe("RUNNING");
      expect(run.evaluation).toBeNull();
    });
  });

  describe("runs.misclassified", () => {
    it("filters by true and predicted class and pages", async () => {
      const id = ids["alpha cnn"];
      const all = await t.api.runs.misclassified({ runId: id });
      expect(all.total).toBe(16);
      const shirts = await t.api.runs.misclassified({ runId: id, trueLabel: 6 });
      expect(shirts.total).toBe(8);
      const predictedShirt = await t.api.runs.misclassified({ runId: id, predLabel: 6 });
      expect(predictedShirt.total).toBe(5);
      const asTop = await t.api.runs.misclassified({ runId: id, trueLabel: 6, predLabel: 0 });
      expect(asTop.total).toBe(8);
      expect(asTop.items.every((m) => m.trueLabel === 6 && m.predLabel === 0)).toBe(true);
      const conf = asTop.items.map((m) => m.confidence);
      expect(conf).toEqual([...conf].sort((a, b) => b - a));
      const p1 = await t.api.runs.misclassified({ runId: id, limit: 10 });
      const p2 = await t.api.runs.misclassified({ runId: id, limit: 10, cursor: p1.nextCursor });
      expect(p1.items).toHaveLength(10);
      expect(p2.items).toHaveLength(6);
      expect(p2.nextCursor).toBeNull();
      expect(p2.items[0].probabilities).toHaveLength(10);
    });

    it("is empty for a run without an evaluation", async () => {
      expect(await t.api.runs.misclassified({ runId: ids["delta running"] })).toEqual({ items: [], total: 0, nextCursor: null });
    });
  });

  describe("runs.dataset", () => {
    it("names the dataset directory the run trained on", async () => {
      expect(await t.api.runs.dataset({ id: ids["alpha cnn"] })).toEqual({ dir: "/nonexistent/fixture", dataset: null });
    });
  });

  describe("runs.facets", () => {
    it("counts statuses and lists architectures", async () => {
      const f = await t.api.runs.facets();
      expect(f.total).toBe(5);
      expect(f.statusCounts).toEqual({ QUEUED: 0, RUNNING: 1, SUCCEEDED: 3, FAILED: 1, CANCELLED: 0, PRUNED: 0 });
      expect(f.active).toBe(1);
      expect(f.architectures.find((a) => a.name === "mlp")?.count).toBe(2);
      expect(f.architectures.map((a) => a.name)).toEqual(["mlp", "reference-cnn", "tiny-cnn"]);
    });
  });
}
