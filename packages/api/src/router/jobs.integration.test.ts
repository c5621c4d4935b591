// Training jobs from the dashboard: create, cancel, retry, delete, the admin token and the lease
// sweep, against real migrated databases (SQLite, and PostgreSQL where one can be had).
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Db } from "@fmnist/db/client";
import { startLeaseSweep } from "@fmnist/db/leases";
import { trainConfigSchema } from "@fmnist/model/train-config";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { createTestDb, failure, insertRun, matrix, postgresAvailable, type TestDb, type TestDialect } from "../../test/db";
import { appRouter, createCaller, createTRPCContext } from "../index";
import { retryName } from "./run/retry.handler";

const artifacts = mkdtempSync(join(tmpdir(), "fmnist-api-artifacts-"));
process.env.ARTIFACTS_DIR = artifacts;
afterAll(() => rmSync(artifacts, { recursive: true, force: true }));

const TEN_MB_NAME = "x".repeat(10 * 1024 * 1024);
const tiny = { name: "job tiny", architecture: "tiny-cnn", epochs: 2, dataset: "fixture-subset", maxTrainImages: 400 } as const;

describe.each<TestDialect>(["sqlite", "postgres"])("%s", (dialect) => {
  describe.skipIf(dialect === "postgres" && !postgresAvailable)("training jobs", () => {
    suite(dialect);
  });
});

function suite(dialect: TestDialect) {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb(dialect);
  });
  afterAll(() => t.close());
  afterEach(() => {
    delete process.env.FMNIST_ADMIN_TOKEN;
  });

  /** Every row a mutation could write, so "nothing written" is checked across all tables. */
  const counts = async () => ({
    runs: await t.db.run.count(),
    epochs: await t.db.epochMetric.count(),
    evaluations: await t.db.evaluation.count(),
    artifacts: await t.db.artifact.count(),
  });
  const status = async (id: string) => (await t.db.run.findUniqueOrThrow({ where: { id } })).status;
  /** The tRPC HTTP handler as the web serves it, on the test database. */
  const http = (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const req = new Request(`http://test/api/trpc/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ json: body }),
    });
    return fetchRequestHandler({ endpoint: "/api/trpc", router: appRouter, req, createContext: () => createTRPCContext({ db: t.db, dialect, headers: req.headers }) });
  };

  describe("runs.create", () => {
    it("queues a run with its full config, seed, architecture and planned epochs", async () => {
      const created = await t.api.runs.create({ ...tiny, name: "  job tiny  " });
      expect(created.status).toBe("QUEUED");
      const row = await t.db.run.findUniqueOrThrow({ where: { id: created.id } });
      expect(row).toMatchObject({ name: "job tiny", status: "QUEUED", architecture: "tiny-cnn", seed: 42, epochsPlanned: 2, epochsCompleted: 0, parentRunId: null, cancelRequested: false });
      // Defaults filled in by the schema, so the worker trains exactly what the form showed.
      expect(row.config).toMatchObject({ name: "job tiny", architecture: "tiny-cnn", epochs: 2, batchSize: 64, learningRate: 0.001, seed: 42, dataset: "fixture-subset", maxTrainImages: 400 });
      expect(row.config).toEqual(trainConfigSchema.parse({ ...tiny, name: "job tiny" }));
    });

    it("links a clone to its source, and drops the link when the source is gone", async () => {
      const source = await insertRun(t.db, { name: "clone source" });
      const clone = await t.api.runs.create({ ...tiny, name: "clone", parentRunId: source });
      expect((await t.db.run.findUniqueOrThrow({ where: { id: clone.id } })).parentRunId).toBe(source);
      const orphan = await t.api.runs.create({ ...tiny, name: "orphan", parentRunId: "deleted-meanwhile" });
      expect((await t.db.run.findUniqueOrThrow({ where: { id: orphan.id } })).parentRunId).toBeNull();
    });

    const bad: [string, Record<string, unknown>, string][] = [
      ["negative epochs", { epochs: -3 }, "epochs"],
      ["batch size 0", { batchSize: 0 }, "batchSize"],
      ["learning rate as a string", { learningRate: "abc" }, "learningRate"],
      ["learning rate as a numeric string", { learningRate: "0.01" }, "learningRate"],
      ["a 10 MB name", { name: TEN_MB_NAME }, "name"],
      ["an empty name", { name: "   " }, "name"],
      ["unknown architecture", { architecture: "resnet-152" }, "architecture"],
      ["fractional epochs", { epochs: 2.5 }, "epochs"],
      ["validation split 0.9", { validationSplit: 0.9 }, "validationSplit"],
      ["unknown dataset", { dataset: "/etc" }, "dataset"],
    ];
    it.each(bad)("%s -> BAD_REQUEST with the field's error, nothing written", async (_name, over, field) => {
      const before = await counts();
      const err = await failure(() => t.api.runs.create({ ...tiny, ...over } as never));
      expect(err.code).toBe("BAD_REQUEST");
      expect(err.cause).toBeInstanceOf(ZodError);
      const fields = Object.keys((err.cause as ZodError).flatten().fieldErrors);
      expect(fields).toEqual([field]);
      expect(err.message).toMatch(new RegExp(`^Invalid input: ${field}: `));
      // The message never echoes the input (a 10 MB name stays out of logs and responses).
      expect(err.message.length).toBeLessThan(300);
      expect(await counts()).toEqual(before);
    });

    it("over HTTP: all bad fields at once -> 400 with data.zodError.fieldErrors for the form, nothing written", async () => {
      const before = await counts();
      const res = await http("runs.create", { name: TEN_MB_NAME, architecture: "nope", epochs: -1, batchSize: 0, learningRate: "abc" });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { json: { message: string; data: { code: string; zodError: { fieldErrors: Record<string, string[]> } } } } };
      expect(body.error.json.data.code).toBe("BAD_REQUEST");
      const fieldErrors = body.error.json.data.zodError.fieldErrors;
      expect(Object.keys(fieldErrors).sort()).toEqual(["architecture", "batchSize", "epochs", "learningRate", "name"]);
      expect(fieldErrors.epochs).toEqual(["at least 1 epoch"]);
      expect(fieldErrors.batchSize).toEqual(["batch size must be at least 1"]);
      expect(fieldErrors.name).toEqual(["name is at most 200 characters"]);
      expect(fieldErrors.learningRate[0]).toMatch(/expected number/);
      expect(JSON.stringify(body).length).toBeLessThan(5000);
      expect(await counts()).toEqual(before);
    });
  });

  describe("runs.cancel", () => {
    it("QUEUED -> CANCELLED at once", async () => {
      const { id } = await t.api.runs.create({ ...tiny, name: "cancel me while queued" });
      expect(await t.api.runs.cancel({ id })).toEqual({ id, status: "CANCELLED", cancelRequested: true });
      const row = await t.db.run.findUniqueOrThrow({ where: { id } });
      expect(row.status).toBe("CANCELLED");
      expect(row.finishedAt).toBeInstanceOf(Date);
    });

    it("RUNNING -> stays RUNNING with cancelRequested; the worker finishes it", async () => {
      const id = await insertRun(t.db, { name: "cancel me while running", status: "RUNNING" });
      await t.db.run.update({ where: { id }, data: { workerId: "w1", leaseExpiresAt: new Date(Date.now() + 60_000) } });
      expect(await t.api.runs.cancel({ id })).toEqual({ id, status: "RUNNING", cancelRequested: true });
      expect(await t.db.run.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: "RUNNING", cancelRequested: true });
      // Asking again is harmless; the page shows "cancelling…" from the flag, not from a guess.
      expect((await t.api.runs.cancel({ id })).cancelRequested).toBe(true);
      expect((await t.api.runs.byId({ id })).cancelRequested).toBe(true);
    });

    it("terminal runs -> BAD_REQUEST with a message, unchanged", async () => {
      for (const [s, word] of [["SUCCEEDED", "succeeded"], ["FAILED", "failed"], ["CANCELLED", "been cancelled"]] as const) {
        const id = await insertRun(t.db, { name: `done ${s}`, status: s });
        const err = await failure(() => t.api.runs.cancel({ id }));
        expect(err.code).toBe("BAD_REQUEST");
        expect(err.message).toBe(`Run "done ${s}" has already ${word}; only queued or running runs can be cancelled.`);
        expect(await t.db.run.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: s, cancelRequested: false });
      }
      expect((await failure(() => t.api.runs.cancel({ id: "ghost" }))).code).toBe("NOT_FOUND");
    });

    /** The test database, but the first conditional update of run `id` waits for `meanwhile` (a
     * worker acting between the handler's read and its write). */
    const interleaved = (id: string, meanwhile: () => Promise<unknown>): Db => {
      let fired = false;
      const run = new Proxy(t.db.run, {
        get(target, prop) {
          const value = Reflect.get(target, prop);
          if (prop !== "updateMany") return typeof value === "function" ? value.bind(target) : value;
          return async (args: { where: { id?: string } }) => {
            if (!fired && args.where.id === id) {
              fired = true;
              await meanwhile();
            }
            return target.updateMany(args as never);
          };
        },
      });
      return new Proxy(t.db, { get: (target, prop) => (prop === "run" ? run : Reflect.get(target, prop)) });
    };
    const apiOn = (db: Db) => createCaller(createTRPCContext({ db, dialect }));
    // The worker's claim: one conditional update, as in apps/trainer/src/queue.ts.
    const claim = (id: string) =>
      t.db.run.updateMany({ where: { id, status: "QUEUED" }, data: { status: "RUNNING", workerId: "w", leaseExpiresAt: new Date(Date.now() + 60_000) } });

    it("a worker claims the run between cancel's read and its write: the run is RUNNING with the flag, not lost", async () => {
      const { id } = await t.api.runs.create({ ...tiny, name: "claimed meanwhile" });
      const result = await apiOn(interleaved(id, () => claim(id))).runs.cancel({ id });
      expect(result).toEqual({ id, status: "RUNNING", cancelRequested: true });
      expect(await t.db.run.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: "RUNNING", workerId: "w", cancelRequested: true });
      await t.db.run.update({ where: { id }, data: { status: "CANCELLED" } });
    });

    it("the worker finishes the run between cancel's read and its write: SUCCEEDED stays, BAD_REQUEST", async () => {
      const id = await insertRun(t.db, { name: "finished meanwhile", status: "RUNNING" });
      await t.db.run.update({ where: { id }, data: { workerId: "w", leaseExpiresAt: new Date(Date.now() + 60_000) } });
      const finish = () => t.db.run.update({ where: { id }, data: { status: "SUCCEEDED", finishedAt: new Date() } });
      const err = await failure(() => apiOn(interleaved(id, finish)).runs.cancel({ id }));
      expect(err.code).toBe("BAD_REQUEST");
      expect(err.message).toMatch(/has already succeeded/);
      expect(await t.db.run.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: "SUCCEEDED", cancelRequested: false });
    });

    it("20 cancels racing 20 claims: every run ends cancelled, or running with the flag set", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) ids.push((await t.api.runs.create({ ...tiny, name: `race ${i}` })).id);
      const results = await Promise.all(ids.map((id) => Promise.all([claim(id), t.api.runs.cancel({ id })])));
      for (const [i, id] of ids.entries()) {
        const row = await t.db.run.findUniqueOrThrow({ where: { id } });
        expect(row.cancelRequested).toBe(true);
        // Claimed runs are RUNNING (the worker will stop them); unclaimed ones were cancelled.
        expect(row.status).toBe(results[i][0].count === 1 ? "RUNNING" : "CANCELLED");
      }
      await t.db.run.updateMany({ where: { id: { in: ids } }, data: { status: "CANCELLED" } });
    });
  });

  describe("runs.retry", () => {
    it("FAILED or CANCELLED -> a new QUEUED run with the same config, linked, named (retry)", async () => {
      for (const s of ["FAILED", "CANCELLED"]) {
        // As the trainer leaves it: the dataset it read in place of the requested name.
        const id = await insertRun(t.db, { name: `to retry ${s}`, status: s, architecture: "mlp", epochs: 7, batchSize: 32, learningRate: 0.003 });
        const before = await t.db.run.findUniqueOrThrow({ where: { id } });
        const retried = await t.api.runs.retry({ id });
        expect(retried.id).not.toBe(id);
        const row = await t.db.run.findUniqueOrThrow({ where: { id: retried.id } });
        expect(row).toMatchObject({ name: `to retry ${s} (retry)`, status: "QUEUED", parentRunId: id, architecture: "mlp", epochsPlanned: 7, seed: 1, epochsCompleted: 0 });
        expect(row.config).toMatchObject({ name: `to retry ${s} (retry)`, architecture: "mlp", epochs: 7, batchSize: 32, learningRate: 0.003, dataset: "fashion-mnist" });
        // The old run keeps its history.
        expect(await t.db.run.findUniqueOrThrow({ where: { id } })).toEqual(before);
        // The run page links the new run to it.
        expect((await t.api.runs.byId({ id: retried.id })).parent).toEqual({ id, name: `to retry ${s}`, status: s });
      }
    });

    it("created, retried and cloned: each stored config equals its request exactly, with RunParam rows to match", async () => {
      const request = { ...tiny, name: "exact", batchSize: 32, learningRate: 0.0025, optimizer: "adamw", weightDecay: 0.01, augmentFlip: true } as const;
      const created = await t.api.runs.create(request);
      const stored = await t.db.run.findUniqueOrThrow({ where: { id: created.id } });
      expect(stored.config).toEqual(trainConfigSchema.parse(request));
      await t.db.run.update({ where: { id: created.id }, data: { status: "FAILED" } });
      const retried = await t.db.run.findUniqueOrThrow({ where: { id: (await t.api.runs.retry({ id: created.id })).id } });
      expect(retried.config).toEqual(trainConfigSchema.parse({ ...request, name: retryName("exact") }));
      // A clone is what the form sends: the source's config, edited, with the link.
      const cloneRequest = { ...(stored.config as object), name: "exact (copy)", epochs: 3, parentRunId: created.id };
      const cloned = await t.db.run.findUniqueOrThrow({ where: { id: (await t.api.runs.create(cloneRequest as never)).id } });
      const { parentRunId: _, ...cloneConfig } = cloneRequest;
      expect(cloned.config).toEqual(cloneConfig);
      const params = await t.db.runParam.findMany({ where: { runId: cloned.id } });
      const byKey = Object.fromEntries(params.map((p) => [p.key, p.numValue ?? p.textValue]));
      expect(byKey).toMatchObject({ batchSize: 32, learningRate: 0.0025, optimizer: "adamw", augmentFlip: 1, epochs: 3 });
      expect(byKey.name).toBeUndefined();
    });

    it("a fixture-subset run retries on the fixture; a long name is shortened to fit", async () => {
      const id = await insertRun(t.db, { name: "fixture", status: "FAILED" });
      const config = { ...tiny, batchSize: 64, learningRate: 0.001, validationSplit: 0.2, patience: 5, dropout: 0.5, seed: 42, backend: "auto", dataset: { dir: "/x/fashion-mnist-small", source: "explicit", subset: "2,000 / 500" } };
      await t.db.run.update({ where: { id }, data: { config } });
      const row = await t.db.run.findUniqueOrThrow({ where: { id: (await t.api.runs.retry({ id })).id } });
      expect((row.config as { dataset: string }).dataset).toBe("fixture-subset");
      expect(retryName("n".repeat(200))).toHaveLength(200);
      expect(retryName("n".repeat(200)).endsWith("n (retry)")).toBe(true);
    });

    it("a queued, running or succeeded run -> BAD_REQUEST, nothing written", async () => {
      for (const s of ["QUEUED", "RUNNING", "SUCCEEDED"]) {
        const id = await insertRun(t.db, { name: `not retryable ${s}`, status: s });
        const before = await counts();
        const err = await failure(() => t.api.runs.retry({ id }));
        expect(err.code).toBe("BAD_REQUEST");
        expect(err.message).toMatch(new RegExp(`Only failed or cancelled runs can be retried; "not retryable ${s}" is ${s.toLowerCase()}`));
        expect(await counts()).toEqual(before);
      }
    });

    it("a stored config the schema no longer accepts -> BAD_REQUEST pointing to Clone", async () => {
      const id = await insertRun(t.db, { name: "old trainer", status: "FAILED", architecture: "resnet" });
      const err = await failure(() => t.api.runs.retry({ id }));
      expect(err.code).toBe("BAD_REQUEST");
      expect(err.message).toMatch(/not valid any more \(architecture: .*\); use Clone/);
    });
  });

  describe("runs.delete", () => {
    const files = (id: string) => {
      const dir = join(artifacts, "runs", id);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "model.json"), "{}");
      writeFileSync(join(dir, "weights.bin"), "w");
      return dir;
    };

    it("removes a finished run's rows and its ARTIFACTS_DIR/runs/<id> folder, nothing else", async () => {
      const id = await insertRun(t.db, { name: "delete me", confusionMatrix: matrix(40, [[1, 2, 3]]) });
      const keep = await insertRun(t.db, { name: "keep me", confusionMatrix: matrix(40, [[1, 2, 3]]) });
      await t.db.artifact.createMany({ data: ["model.json", "weights.bin"].map((f) => ({ runId: id, kind: "tfjs", path: `runs/${id}/${f}`, sizeBytes: 1 })) });
      const dir = files(id);
      const keepDir = files(keep);
      const misclassifiedBefore = await t.db.misclassified.count();
      expect(await t.api.runs.delete({ id })).toEqual({ id, deleted: true });
      expect(await t.db.run.findUnique({ where: { id } })).toBeNull();
      expect(await t.db.epochMetric.count({ where: { runId: id } })).toBe(0);
      expect(await t.db.evaluation.count({ where: { runId: id } })).toBe(0);
      expect(await t.db.artifact.count({ where: { runId: id } })).toBe(0);
      expect(await t.db.misclassified.count()).toBe(misclassifiedBefore - 3);
      expect(existsSync(dir)).toBe(false);
      expect(existsSync(keepDir)).toBe(true);
      expect((await t.api.runs.byId({ id: keep })).evaluation?.misclassifiedCount).toBe(3);
      expect((await failure(() => t.api.runs.delete({ id }))).code).toBe("NOT_FOUND");
    });

    it("a queued or running run -> BAD_REQUEST (cancel it first), nothing removed", async () => {
      for (const s of ["QUEUED", "RUNNING"]) {
        const id = await insertRun(t.db, { name: `busy ${s}`, status: s });
        const dir = files(id);
        const before = await counts();
        const err = await failure(() => t.api.runs.delete({ id }));
        expect(err.code).toBe("BAD_REQUEST");
        expect(err.message).toBe(`Run "busy ${s}" is ${s.toLowerCase()}; cancel it first: only finished runs can be deleted.`);
        expect(await counts()).toEqual(before);
        expect(existsSync(dir)).toBe(true);
      }
    });

    it("an id that is a path -> refused by the schema or not found; nothing outside runs/ is touched", async () => {
      const outside = join(artifacts, "precious.txt");
      writeFileSync(outside, "keep");
      for (const id of ["../precious.txt", "..", "runs/../../x"]) {
        const err = await failure(() => t.api.runs.delete({ id }));
        expect(["NOT_FOUND", "BAD_REQUEST"]).toContain(err.code);
      }
      expect(existsSync(outside)).toBe(true);
    });
  });

  describe("admin token (FMNIST_ADMIN_TOKEN)", () => {
    const TOKEN = "s3cret-token";
    const callerWith = (authorization?: string) =>
      createCaller(createTRPCContext({ db: t.db, dialect, headers: new Headers(authorization ? { authorization } : {}) }));

    it("mutations without or with a wrong token -> UNAUTHORIZED, nothing written", async () => {
      process.env.FMNIST_ADMIN_TOKEN = TOKEN;
      const queued = await insertRun(t.db, { name: "guarded queued", status: "QUEUED" });
      const failed = await insertRun(t.db, { name: "guarded failed", status: "FAILED" });
      for (const auth of [undefined, "Bearer wrong", `Bearer ${TOKEN}x`, TOKEN.slice(0, -1), "Basic czNjcmV0LXRva2Vu", "Bearer "]) {
        const api = callerWith(auth);
        const before = await counts();
        for (const call of [
          () => api.runs.create(tiny),
          // Bad input without the token is refused for the token, not validated.
          () => api.runs.create({ ...tiny, epochs: -1 }),
          () => api.runs.cancel({ id: queued }),
          () => api.runs.retry({ id: failed }),
          () => api.runs.delete({ id: failed }),
        ]) {
          const err = await failure(call);
          expect(err.code, String(auth)).toBe("UNAUTHORIZED");
          expect(err.message).toBe("This action needs the admin token (FMNIST_ADMIN_TOKEN).");
        }
        expect(await counts()).toEqual(before);
        expect(await status(queued)).toBe("QUEUED");
        expect(await status(failed)).toBe("FAILED");
      }
      // Over HTTP it is a 401.
      const res = await http("runs.create", tiny, { authorization: "Bearer wrong" });
      expect(res.status).toBe(401);
    });

    it("reads stay open; the right token is accepted; auth.status tells the UI", async () => {
      process.env.FMNIST_ADMIN_TOKEN = TOKEN;
      const anonymous = callerWith();
      expect((await anonymous.runs.list()).total).toBeGreaterThan(0);
      expect((await anonymous.runs.facets()).total).toBeGreaterThan(0);
      expect(await anonymous.auth.status()).toEqual({ tokenRequired: true, authorized: false });
      expect(await callerWith("Bearer nope").auth.status()).toEqual({ tokenRequired: true, authorized: false });

      const admin = callerWith(`Bearer ${TOKEN}`);
      expect(await admin.auth.status()).toEqual({ tokenRequired: true, authorized: true });
      const { id } = await admin.runs.create({ ...tiny, name: "with token" });
      expect(await admin.runs.cancel({ id })).toMatchObject({ status: "CANCELLED" });
      const retried = await admin.runs.retry({ id });
      await admin.runs.cancel({ id: retried.id });
      expect(await admin.runs.delete({ id })).toEqual({ id, deleted: true });

      delete process.env.FMNIST_ADMIN_TOKEN;
      expect(await anonymous.auth.status()).toEqual({ tokenRequired: false, authorized: true });
      expect((await anonymous.runs.delete({ id: retried.id })).deleted).toBe(true);
    });
  });

  describe("the lease sweep fails a dead worker's run without any worker; reads write nothing", () => {
    it("list, byId and facets leave it alone; the sweep marks it FAILED with the reason, epochs kept", async () => {
      const id = await insertRun(t.db, { name: "orphaned by a dead worker", status: "RUNNING", epochs: 3 });
      await t.db.run.update({ where: { id }, data: { workerId: "gpu-7:123", leaseExpiresAt: new Date(Date.now() - 5_000) } });
      const live = await insertRun(t.db, { name: "still leased", status: "RUNNING" });
      await t.db.run.update({ where: { id: live }, data: { workerId: "gpu-8:1", leaseExpiresAt: new Date(Date.now() + 60_000) } });

      // Reads are reads: the expired run is still RUNNING in the database after all three.
      const before = await t.db.run.findUniqueOrThrow({ where: { id } });
      await t.api.runs.list({ search: "orphaned by" });
      await t.api.runs.byId({ id });
      await t.api.runs.facets();
      expect(await t.db.run.findUniqueOrThrow({ where: { id } })).toEqual(before);

      // The web server's sweep (instrumentation.ts) fails it with no worker alive.
      const runningBefore = await t.db.run.count({ where: { status: "RUNNING" } });
      const logged: string[] = [];
      const stop = startLeaseSweep(t.db, { intervalMs: 50, log: (m) => logged.push(m) });
      try {
        const deadline = Date.now() + 10_000;
        while ((await status(id)) !== "FAILED" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      } finally {
        stop();
      }
      expect(logged).toContain(`run ${id}: lease expired, marked FAILED`);
      expect((await t.api.runs.facets()).statusCounts.RUNNING).toBe(runningBefore - 1);
      const run = await t.api.runs.byId({ id });
      expect(run.status).toBe("FAILED");
      expect(run.error).toMatch(/worker gpu-7:123 stopped renewing its lease .*3 epoch\(s\) were recorded; use Retry/);
      expect(run.epochs).toHaveLength(3);
      const row = (await t.api.runs.list({ search: "orphaned by" })).items[0];
      expect(row.status).toBe("FAILED");
      expect(await status(live)).toBe("RUNNING");
      // And it can be retried from there.
      expect((await t.api.runs.retry({ id })).status).toBe("QUEUED");
    });
  });
}
