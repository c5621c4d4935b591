// A throwaway, migrated SQLite database per test file, and compact row builders.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunStatus, runParamRows } from "@fmnist/db";
import { createDb, type Db } from "@fmnist/db/client";
import { migrate } from "@fmnist/db/migrate";
import { findPostgresBin, startPostgres } from "@fmnist/db/test-postgres";
import { type ConfusionMatrix, classificationReport } from "@fmnist/model";
import { TRPCError } from "@trpc/server";
import { expect } from "vitest";
import { createCaller, createTRPCContext } from "../src/index";

export interface TestDb {
  db: Db;
  url: string;
  api: ReturnType<typeof createCaller>;
  close(): Promise<void>;
}

export type TestDialect = "sqlite" | "postgres";

/** PostgreSQL suites run where a server can be had (local binaries or TEST_DATABASE_URL_PG). */
export const postgresAvailable = Boolean(process.env.TEST_DATABASE_URL_PG?.trim()) || findPostgresBin() !== null;

export async function createTestDb(dialect: TestDialect = "sqlite"): Promise<TestDb> {
  if (dialect === "postgres") {
    const pg = await startPostgres();
    if (!pg) throw new Error("PostgreSQL is not available");
    await migrate(pg.url, { log: () => {} });
    const db = createDb(pg.url);
    return {
      db,
      url: pg.url,
      api: createCaller(createTRPCContext({ db, dialect: "postgres" })),
      async close() {
        await db.$disconnect();
        await pg.stop();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), "fmnist-api-"));
  const url = `file:${join(dir, "test.db")}`;
  await migrate(url, { log: () => {} });
  const db = createDb(url);
  return {
    db,
    url,
    api: createCaller(createTRPCContext({ db, dialect: "sqlite" })),
    async close() {
      await db.$disconnect();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RunSeed {
  name: string;
  status?: string;
  architecture?: string;
  batchSize?: number;
  learningRate?: number;
  epochs?: number;
  testAccuracy?: number | null;
  bestValAccuracy?: number | null;
  durationMs?: number | null;
  backend?: string | null;
  createdAt?: Date;
  datasetDir?: string;
  /** Adds an evaluation with this confusion matrix (and its report). */
  confusionMatrix?: ConfusionMatrix;
}

export async function insertRun(db: Db, seed: RunSeed): Promise<string> {
  const epochs = seed.epochs ?? 2;
  const config = {
    architecture: seed.architecture ?? "tiny-cnn",
    epochs,
    batchSize: seed.batchSize ?? 64,
    learningRate: seed.learningRate ?? 0.001,
    validationSplit: 0.2,
    patience: 3,
    dropout: 0.3,
    seed: 1,
    backend: "auto",
    dataset: { dir: seed.datasetDir ?? "/nonexistent/fixture", source: "explicit", subset: null },
  };
  const run = await db.run.create({
    data: {
      name: seed.name,
      architecture: config.architecture,
      config,
      seed: 1,
      status: (seed.status ?? "SUCCEEDED") as RunStatus,
      epochsPlanned: epochs,
      epochsCompleted: epochs,
      testAccuracy: seed.testAccuracy ?? null,
      bestValAccuracy: seed.bestValAccuracy ?? null,
      durationMs: seed.durationMs ?? null,
      backend: seed.backend === undefined ? "cpu" : seed.backend,
      createdAt: seed.createdAt ?? new Date(),
      // As createRun writes them: the list sorts and filters hyper-parameters through RunParam.
      params: { create: runParamRows(config) },
      epochs: {
        create: Array.from({ length: epochs }, (_, i) => ({
          epoch: i + 1,
          loss: 1 / (i + 1),
          accuracy: 0.5 + i * 0.1,
          valLoss: 1.1 / (i + 1),
          valAccuracy: 0.45 + i * 0.1,
          learningRate: config.learningRate,
          durationMs: 1000,
          imagesPerSec: 1600,
        })),
      },
    },
  });
  if (seed.confusionMatrix) {
    const report = classificationReport(seed.confusionMatrix);
    const misclassified = [];
    let index = 0;
    for (let t = 0; t < seed.confusionMatrix.length; t++) {
      for (let p = 0; p < seed.confusionMatrix.length; p++) {
        for (let k = 0; k < seed.confusionMatrix[t][p]; k++, index++) {
          if (t === p) continue;
          const probabilities = new Array(10).fill(0.02);
          probabilities[p] = 0.6 + (index % 30) / 100;
          misclassified.push({ testIndex: index, trueLabel: t, predLabel: p, confidence: probabilities[p], probabilities });
        }
      }
    }
    await db.evaluation.create({
      data: {
        runId: run.id,
        testAccuracy: report.accuracy,
        testLoss: 0.4,
        numExamples: index,
        confusionMatrix: seed.confusionMatrix,
        report: report as object,
        misclassified: { create: misclassified },
      },
    });
  }
  return run.id;
}

/** A 10x10 matrix with `hit` on the diagonal and the given off-diagonal cells. */
export function matrix(hit: number, cells: [number, number, number][] = []): ConfusionMatrix {
  const m = Array.from({ length: 10 }, (_, i) => Array.from({ length: 10 }, (_, j) => (i === j ? hit : 0)));
  for (const [t, p, v] of cells) m[t][p] = v;
  return m;
}

/** Runs a call that must fail and returns its tRPC error. */
export async function failure(call: () => Promise<unknown>): Promise<TRPCError> {
  try {
    await call();
  } catch (e) {
    expect(e).toBeInstanceOf(TRPCError);
    return e as TRPCError;
  }
  throw new Error("expected the call to fail");
}
