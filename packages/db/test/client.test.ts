// The generated clients against freshly migrated databases: SQLite, and a throwaway PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "../src/client";
import { migrate } from "../src/migrate";
import { tempSqlite } from "./helpers";
import { startPostgres, type TestPostgres } from "./postgres";

const sqlite = tempSqlite();
const pgServer: TestPostgres | null = await startPostgres();
if (!pgServer) console.warn("[db tests] PostgreSQL client tests skipped: no PostgreSQL binaries");
afterAll(async () => {
  sqlite.cleanup();
  await pgServer?.stop();
});

const providers = [
  { name: "SQLite", url: () => sqlite.url, skip: false },
  { name: "PostgreSQL", url: () => pgServer!.url, skip: !pgServer },
];

const confusion = Array.from({ length: 10 }, (_, r) => Array.from({ length: 10 }, (_, c) => (r === c ? 90 + r : (r + c) % 3)));
const report = [
  ...Array.from({ length: 10 }, (_, i) => ({ label: `class ${i}`, precision: 0.9, recall: 0.8 + i / 100, f1: 0.85, support: 100 })),
  { label: "macro avg", precision: 0.9, recall: 0.845, f1: 0.85, support: 1000 },
];

describe.each(providers)("$name", ({ url, skip }) => {
  let db: Db;
  beforeAll(async () => {
    if (skip) return;
    await migrate(url());
    db = createDb(url());
  });
  afterAll(async () => {
    await db?.$disconnect();
  });

  async function newRun(name: string) {
    return db.run.create({
      data: {
        name,
        architecture: "cnn",
        config: { epochs: 3, batchSize: 64, learningRate: 0.001, dropout: 0.25 },
        seed: 42,
        epochsPlanned: 3,
      },
    });
  }

  it.skipIf(skip)("round-trips a run with epochs, evaluation, misclassified images and an artifact", async () => {
    const run = await newRun("round-trip");
    expect(run.status).toBe("QUEUED");
    expect(run.epochsCompleted).toBe(0);
    expect(run.cancelRequested).toBe(false);
    expect(run.createdAt).toBeInstanceOf(Date);

    for (const epoch of [1, 2, 3]) {
      await db.epochMetric.create({
        data: {
          runId: run.id,
          epoch,
          loss: 1 / epoch,
          accuracy: 0.7 + epoch / 100,
          valLoss: epoch === 3 ? null : 1.1 / epoch,
          valAccuracy: epoch === 3 ? null : 0.69 + epoch / 100,
          learningRate: 0.001,
          durationMs: 1000 * epoch,
          imagesPerSec: 1234.5,
        },
      });
    }
    await expect(
      db.epochMetric.create({
        data: { runId: run.id, epoch: 2, loss: 0, accuracy: 0, learningRate: 0, durationMs: 0, imagesPerSec: 0 },
      }),
    ).rejects.toThrow(); // @@unique([runId, epoch])

    const evaluation = await db.evaluation.create({
      data: {
        runId: run.id,
        testAccuracy: 0.9123,
        testLoss: 0.25,
        numExamples: 10_000,
        confusionMatrix: confusion,
        report,
        misclassified: {
          create: [
            { testIndex: 7, trueLabel: 6, predLabel: 0, confidence: 0.61, probabilities: [0.61, 0, 0, 0, 0, 0, 0.39, 0, 0, 0] },
            { testIndex: 42, trueLabel: 2, predLabel: 4, confidence: 0.55, probabilities: [0, 0, 0.45, 0, 0.55, 0, 0, 0, 0, 0] },
          ],
        },
      },
    });
    await db.artifact.create({
      data: { runId: run.id, kind: "tfjs-layers-model", path: `runs/${run.id}/model.json`, sizeBytes: 123_456 },
    });
    await db.run.update({
      where: { id: run.id },
      data: { status: "SUCCEEDED", epochsCompleted: 3, bestEpoch: 2, bestValAccuracy: 0.71, testAccuracy: 0.9123, progress: { epoch: 3, epochs: 3 } },
    });

    const back = await db.run.findUniqueOrThrow({
      where: { id: run.id },
      include: {
        epochs: { orderBy: { epoch: "asc" } },
        evaluation: { include: { misclassified: { orderBy: { testIndex: "asc" } } } },
        artifacts: true,
      },
    });
    expect(back.status).toBe("SUCCEEDED");
    expect(back.config).toEqual({ epochs: 3, batchSize: 64, learningRate: 0.001, dropout: 0.25 });
    expect(back.progress).toEqual({ epoch: 3, epochs: 3 });
    expect(back.updatedAt.getTime()).toBeGreaterThanOrEqual(back.createdAt.getTime());
    expect(back.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(back.epochs[1].loss).toBeCloseTo(0.5);
    expect(back.epochs[1].valAccuracy).toBeCloseTo(0.71);
    expect(back.epochs[2].valLoss).toBeNull();
    expect(back.epochs[2].durationMs).toBe(3000);
    expect(back.evaluation?.id).toBe(evaluation.id);
    expect(back.evaluation?.confusionMatrix).toEqual(confusion);
    expect(back.evaluation?.report).toEqual(report);
    expect(back.evaluation?.testAccuracy).toBeCloseTo(0.9123);
    expect(back.evaluation?.misclassified.map((m) => [m.testIndex, m.trueLabel, m.predLabel])).toEqual([
      [7, 6, 0],
      [42, 2, 4],
    ]);
    expect(back.evaluation?.misclassified[0].probabilities).toEqual([0.61, 0, 0, 0, 0, 0, 0.39, 0, 0, 0]);
    expect(back.artifacts).toHaveLength(1);
    expect(back.artifacts[0]).toMatchObject({ kind: "tfjs-layers-model", path: `runs/${run.id}/model.json`, sizeBytes: 123_456 });
  });

  it.skipIf(skip)("deleting a run cascades to its epochs, evaluation, misclassified rows and artifacts", async () => {
    const run = await newRun("cascade");
    const other = await newRun("kept");
    for (const r of [run, other]) {
      await db.epochMetric.create({
        data: { runId: r.id, epoch: 1, loss: 1, accuracy: 0.5, learningRate: 0.01, durationMs: 10, imagesPerSec: 100 },
      });
      await db.evaluation.create({
        data: {
          runId: r.id,
          testAccuracy: 0.5,
          testLoss: 1,
          numExamples: 1,
          confusionMatrix: confusion,
          report,
          misclassified: { create: [{ testIndex: 1, trueLabel: 1, predLabel: 2, confidence: 0.5, probabilities: [] }] },
        },
      });
      await db.artifact.create({ data: { runId: r.id, kind: "tfjs-layers-model", path: "x", sizeBytes: 1 } });
    }
    const evaluationId = (await db.evaluation.findUniqueOrThrow({ where: { runId: run.id } })).id;

    await db.run.delete({ where: { id: run.id } });

    expect(await db.epochMetric.count({ where: { runId: run.id } })).toBe(0);
    expect(await db.evaluation.count({ where: { runId: run.id } })).toBe(0);
    expect(await db.misclassified.count({ where: { evaluationId } })).toBe(0);
    expect(await db.artifact.count({ where: { runId: run.id } })).toBe(0);
    // The other run is untouched.
    expect(await db.epochMetric.count({ where: { runId: other.id } })).toBe(1);
    expect(await db.misclassified.count({ where: { evaluation: { runId: other.id } } })).toBe(1);
    expect(await db.artifact.count({ where: { runId: other.id } })).toBe(1);
  });

  it.skipIf(skip)("claims a queued run at most once (conditional updateMany)", async () => {
    const run = await newRun("claim");
    const claim = () =>
      db.run.updateMany({
        where: { id: run.id, status: "QUEUED" },
        data: { status: "RUNNING", workerId: "w1", startedAt: new Date(), leaseExpiresAt: new Date(Date.now() + 60_000) },
      });
    expect((await claim()).count).toBe(1);
    expect((await claim()).count).toBe(0);
    const claimed = await db.run.findUniqueOrThrow({ where: { id: run.id } });
    expect(claimed).toMatchObject({ status: "RUNNING", workerId: "w1" });
    expect(claimed.leaseExpiresAt).toBeInstanceOf(Date);

    // Racing claimers: exactly one wins.
    const raced = await newRun("race");
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        db.run.updateMany({ where: { id: raced.id, status: "QUEUED" }, data: { status: "RUNNING", workerId: `w${i}` } }),
      ),
    );
    expect(results.map((r) => r.count).reduce((a, b) => a + b, 0)).toBe(1);
  });
});
