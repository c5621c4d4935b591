import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDb, type Db } from "@fmnist/db/client";
import { migrate } from "@fmnist/db/migrate";
import { findPostgresBin, startPostgres } from "@fmnist/db/test-postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { advanceSweep, createSweep, pruneVerdict } from "./advance";
import { sweepDefinitionSchema } from "./schema";

const pgAvailable = Boolean(process.env.TEST_DATABASE_URL_PG?.trim()) || findPostgresBin() !== null;

const definition = (over: Record<string, unknown> = {}) =>
  sweepDefinitionSchema.parse({
    name: "race",
    trialBudget: 4,
    maxConcurrent: 2,
    base: { architecture: "mlp", epochs: 9, dataset: "fixture-subset" },
    space: { learningRate: { type: "range", min: 1e-4, max: 1e-1, scale: "log" } },
    earlyTermination: { type: "asha", minResource: 1, reductionFactor: 3 },
    ...over,
  });

describe.each(["sqlite", "postgres"] as const)("%s", (dialect) => {
  describe.skipIf(dialect === "postgres" && !pgAvailable)("advanceSweep", () => {
    // PostgreSQL: two clients, so concurrent calls race on separate connections. SQLite: one client
    // (better-sqlite3 is synchronous: a second connection in the same thread would wait on the
    // first's lock while blocking it); its calls still interleave at every await.
    let a: Db;
    let b: Db;
    let stop: () => Promise<void>;
    beforeAll(async () => {
      let url: string;
      if (dialect === "postgres") {
        const pg = await startPostgres();
        if (!pg) throw new Error("PostgreSQL did not start");
        url = pg.url;
        stop = pg.stop;
      } else {
        const dir = mkdtempSync(join(tmpdir(), "fmnist-sweep-"));
        url = `file:${join(dir, "test.db")}`;
        stop = async () => rmSync(dir, { recursive: true, force: true });
      }
      await migrate(url, { log: () => {} });
      a = createDb(url);
      b = dialect === "postgres" ? createDb(url) : a;
    });
    afterAll(async () => {
      await a.$disconnect();
      if (b !== a) await b.$disconnect();
      await stop();
    });

    const trials = (db: Db, sweepId: string) =>
      db.run.findMany({ where: { sweepId }, orderBy: { trialNumber: "asc" }, select: { id: true, trialNumber: true, status: true, config: true } });
    const finish = (db: Db, id: string, status: "SUCCEEDED" | "FAILED" | "PRUNED", acc = 0.8) =>
      db.run.update({ where: { id }, data: { status, finishedAt: new Date(), bestValAccuracy: acc, bestValLoss: 1 - acc } });

    it("racing calls queue each trial once, up to maxConcurrent; failed trials are replaced; the sweep finishes", async () => {
      const sweep = await createSweep(a, definition());
      expect(sweep.queued).toBe(2);
      // Eight racers on two connections: nothing more to queue, nothing duplicated.
      await Promise.all(Array.from({ length: 8 }, (_, i) => advanceSweep(i % 2 ? a : b, sweep.id)));
      let rows = await trials(a, sweep.id);
      expect(rows.map((r) => r.trialNumber)).toEqual([0, 1]);
      expect(rows.every((r) => r.status === "QUEUED")).toBe(true);
      // The config is complete and named after the trial; the same definition proposes the same trial 0.
      expect(rows[0].config).toMatchObject({ name: "race #0", architecture: "mlp", epochs: 9 });

      await finish(a, rows[0].id, "SUCCEEDED");
      await finish(a, rows[1].id, "FAILED");
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => advanceSweep(i % 2 ? a : b, sweep.id)));
      rows = await trials(a, sweep.id);
      // Two slots free; the failed trial does not count against the budget of 4.
      expect(rows.map((r) => r.trialNumber)).toEqual([0, 1, 2, 3]);
      expect(results.flatMap((r) => r.queued).sort()).toEqual([2, 3]);

      await finish(a, rows[2].id, "PRUNED", 0.5);
      await finish(a, rows[3].id, "SUCCEEDED");
      await Promise.all([advanceSweep(a, sweep.id), advanceSweep(b, sweep.id)]);
      rows = await trials(a, sweep.id);
      expect(rows.map((r) => r.trialNumber)).toEqual([0, 1, 2, 3, 4]);
      expect((await a.sweep.findUniqueOrThrow({ where: { id: sweep.id } })).status).toBe("RUNNING");
      await finish(a, rows[4].id, "SUCCEEDED");
      const done = await Promise.all([advanceSweep(a, sweep.id), advanceSweep(b, sweep.id)]);
      expect(done.filter((d) => d.finished)).toHaveLength(1);
      const s = await a.sweep.findUniqueOrThrow({ where: { id: sweep.id } });
      expect(s.status).toBe("FINISHED");
      expect(s.finishedAt).toBeInstanceOf(Date);
      // Idempotent once finished.
      expect((await advanceSweep(a, sweep.id)).queued).toEqual([]);
      expect(await a.run.count({ where: { sweepId: sweep.id } })).toBe(5);
    });

    it("grid: a failed point is proposed again, and the grid is covered once", async () => {
      const sweep = await createSweep(a, definition({ name: "grid", method: "grid", trialBudget: 3, maxConcurrent: 3, earlyTermination: null }));
      let rows = await trials(a, sweep.id);
      const points = (rs: typeof rows) => rs.map((r) => (r.config as { learningRate: number }).learningRate);
      expect(points(rows)).toEqual([0.0001, 0.00316227766017, 0.1]);
      await finish(a, rows[0].id, "SUCCEEDED");
      await finish(a, rows[1].id, "FAILED");
      await advanceSweep(b, sweep.id);
      rows = await trials(a, sweep.id);
      expect(rows.map((r) => r.trialNumber)).toEqual([0, 1, 2, 3]);
      expect(points(rows)[3]).toBe(points(rows)[1]);
    });

    it("asks ASHA at rung epochs only, against every trial that reached the rung", async () => {
      const sweep = await createSweep(a, definition({ name: "prune", maxConcurrent: 3, trialBudget: 3 }));
      const rows = await trials(a, sweep.id);
      const epoch = (runId: string, n: number, valAccuracy: number) =>
        a.epochMetric.create({ data: { runId, epoch: n, loss: 1, accuracy: 0.5, valLoss: 1, valAccuracy, learningRate: 0.001, durationMs: 1, imagesPerSec: 1 } });
      await epoch(rows[0].id, 1, 0.7);
      expect(await pruneVerdict(a, rows[0].id, 1)).toEqual({ rung: 1, decision: "continue", competing: 1 });
      await epoch(rows[1].id, 1, 0.6);
      expect(await pruneVerdict(a, rows[1].id, 1)).toMatchObject({ decision: "stop", competing: 2 });
      await epoch(rows[2].id, 1, 0.9);
      expect(await pruneVerdict(a, rows[2].id, 1)).toMatchObject({ decision: "continue", competing: 3 });
      await epoch(rows[0].id, 2, 0.1);
      expect(await pruneVerdict(a, rows[0].id, 2)).toBeNull(); // 2 is no rung (1, 3)
    });
  });
});
