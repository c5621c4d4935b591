import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "../src/client";
import { migrate } from "../src/migrate";
import { runParamRows } from "../src/run-params";
import { claimNextRun, claimRun, createRun, failRun, finishRun, markCancelled, pruneRun, RunStateError, recordEpoch, renewLease, requestCancel, requeueRun, startRun } from "../src/runs";
import { tempSqlite } from "./helpers";

const sqlite = tempSqlite();
let db: Db;
beforeAll(async () => {
  await migrate(sqlite.url, { log: () => {} });
  db = createDb(sqlite.url);
});
afterAll(async () => {
  await db.$disconnect();
  sqlite.cleanup();
});

const config = { name: "lr probe", architecture: "mlp", seed: 7, epochs: 3, learningRate: 0.003, augmentFlip: true, optimizer: "adamw", nested: { a: 1 } };

describe("runParamRows", () => {
  it("keeps scalars (booleans as 0/1), skips the name and objects", () => {
    expect(runParamRows(config)).toEqual([
      { key: "architecture", numValue: null, textValue: "mlp" },
      { key: "seed", numValue: 7, textValue: null },
      { key: "epochs", numValue: 3, textValue: null },
      { key: "learningRate", numValue: 0.003, textValue: null },
      { key: "augmentFlip", numValue: 1, textValue: null },
      { key: "optimizer", numValue: null, textValue: "adamw" },
    ]);
    expect(runParamRows(null)).toEqual([]);
    expect(runParamRows([1, 2])).toEqual([]);
  });
});

describe("createRun", () => {
  it("stores the config unchanged with its params and tags, and a trial number once per sweep", async () => {
    const run = await createRun(db, { config, status: "QUEUED", tags: ["baseline", "baseline", "lr"] }, { id: true, status: true, config: true, epochsPlanned: true });
    expect(run.status).toBe("QUEUED");
    expect(run.config).toEqual(config);
    expect(run.epochsPlanned).toBe(3);
    const params = await db.runParam.findMany({ where: { runId: run.id }, orderBy: { key: "asc" } });
    expect(params.map((p) => p.key)).toEqual(["architecture", "augmentFlip", "epochs", "learningRate", "optimizer", "seed"]);
    const tags = await db.runTag.findMany({ where: { runId: run.id }, orderBy: { tag: "asc" } });
    expect(tags.map((t) => t.tag)).toEqual(["baseline", "lr"]);
    // Filter by any param with an ordinary Prisma query.
    const found = await db.run.findMany({ where: { params: { some: { key: "learningRate", numValue: { gt: 0.002 } } } }, select: { id: true } });
    expect(found.map((r) => r.id)).toEqual([run.id]);

    const sweep = await db.sweep.create({ data: { name: "s", definition: {}, method: "random", objective: "val_accuracy", trialBudget: 2, maxConcurrent: 1 } });
    await createRun(db, { config, status: "QUEUED", sweepId: sweep.id, trialNumber: 0 });
    await expect(createRun(db, { config, status: "QUEUED", sweepId: sweep.id, trialNumber: 0 })).rejects.toThrow();
    expect(await db.run.count({ where: { sweepId: sweep.id } })).toBe(1);
  });
});

describe("the lifecycle: each transition only from the status it starts from", () => {
  const status = async (id: string) => (await db.run.findUniqueOrThrow({ where: { id } })).status;
  const queued = async (name: string) => (await createRun(db, { config: { ...config, name }, status: "QUEUED" }, { id: true })).id;

  it("claim once, renew, record an epoch, finish; a second claim and a late failure lose", async () => {
    const id = await queued("happy path");
    const [a, b] = await Promise.all([claimRun(db, id, "w1", 60_000), claimRun(db, id, "w2", 60_000)]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
    const holder = (a ?? b)!.workerId!;
    expect(await renewLease(db, id, holder, 60_000)).toBe(true);
    expect(await renewLease(db, id, "someone else", 60_000)).toBe(false);
    await startRun(db, id, { backend: "cpu", codeVersion: "abc" });
    await recordEpoch(db, id, { epoch: 1, loss: 1, accuracy: 0.5, valLoss: 1, valAccuracy: 0.5, learningRate: 0.001, durationMs: 10.4, imagesPerSec: 100 }, { epoch: 1, valLoss: 1, valAccuracy: 0.5 });
    await finishRun(db, id, { testAccuracy: 0.9, testLoss: 0.3, durationMs: 1000 });
    expect(await db.run.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: "SUCCEEDED", backend: "cpu", epochsCompleted: 1, bestEpoch: 1, testAccuracy: 0.9 });
    // Whatever arrives after the end changes nothing.
    expect(await failRun(db, id, "too late")).toBe(false);
    expect(await markCancelled(db, id)).toBe(false);
    expect(await pruneRun(db, id, "too late")).toBe(false);
    await expect(finishRun(db, id, { testAccuracy: 0.1, testLoss: 9, durationMs: 1 })).rejects.toBeInstanceOf(RunStateError);
    await expect(startRun(db, id)).rejects.toThrow(/is SUCCEEDED: cannot start/);
    expect(await db.run.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: "SUCCEEDED", testAccuracy: 0.9, error: null });
  });

  it("cancel: a queued run at once, a running one by request; a finished one is reported, not changed", async () => {
    const q = await queued("cancel queued");
    expect(await requestCancel(db, q)).toMatchObject({ outcome: "cancelled", run: { status: "CANCELLED" } });
    expect(await claimRun(db, q, "w", 60_000)).toBeNull();
    const r = await queued("cancel running");
    await claimRun(db, r, "w", 60_000);
    expect(await requestCancel(db, r)).toMatchObject({ outcome: "requested" });
    // A person's cancel is never undone by a shutting-down worker's requeue.
    expect(await requeueRun(db, r, "w")).toBe(false);
    expect(await markCancelled(db, r, 5)).toBe(true);
    expect(await requestCancel(db, r)).toMatchObject({ outcome: "finished", run: { status: "CANCELLED" } });
    expect(await requestCancel(db, "nope")).toEqual({ outcome: "missing" });
  });

  it("requeue gives a held run back and the next claim starts it over; prune keeps the epochs", async () => {
    const id = await queued("requeue then prune");
    await claimRun(db, id, "w1", 60_000);
    await recordEpoch(db, id, { epoch: 1, loss: 1, accuracy: 0.5, valLoss: 1, valAccuracy: 0.5, learningRate: 0.001, durationMs: 10, imagesPerSec: 100 }, null);
    expect(await requeueRun(db, id, "w2")).toBe(false);
    expect(await requeueRun(db, id, "w1")).toBe(true);
    expect(await status(id)).toBe("QUEUED");
    // Other queued runs of this file may be older: claim this one by id.
    const again = await claimRun(db, id, "w2", 60_000);
    expect(again).toMatchObject({ status: "RUNNING", workerId: "w2" });
    expect(await db.epochMetric.count({ where: { runId: id } })).toBe(0);
    await recordEpoch(db, id, { epoch: 1, loss: 1, accuracy: 0.5, valLoss: 1, valAccuracy: 0.5, learningRate: 0.001, durationMs: 10, imagesPerSec: 100 }, null);
    expect(await failRun(db, id, "not mine", { workerId: "w1" })).toBe(false);
    expect(await pruneRun(db, id, "below the median at epoch 1")).toBe(true);
    expect(await db.run.findUniqueOrThrow({ where: { id }, include: { epochs: true } })).toMatchObject({ status: "PRUNED", error: "below the median at epoch 1", epochs: [{ epoch: 1 }] });
    expect(await claimNextRun(db, "w3", 60_000)).not.toMatchObject({ id });
  });
});
