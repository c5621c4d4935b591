// Deterministic synthetic runs for the benchmarks: the query bench here and the HTTP load bench of
// the web app (apps/web/bench/load-bench.ts).
import { runParamRows } from "@fmnist/db";
import type { Db } from "@fmnist/db/client";
import { classificationReport } from "@fmnist/model";

const ARCHS = ["reference-cnn", "mlp", "tiny-cnn"];
const STATUSES: [string, number][] = [["SUCCEEDED", 0.85], ["FAILED", 0.08], ["CANCELLED", 0.04], ["RUNNING", 0.02], ["QUEUED", 0.01]];

/** Deterministic pseudo-random numbers, so every bench run seeds the same data. */
export function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pickStatus(r: number): string {
  let acc = 0;
  for (const [s, p] of STATUSES) {
    acc += p;
    if (r < acc) return s;
  }
  return "SUCCEEDED";
}

function syntheticMatrix(rand: () => number, accuracy: number): number[][] {
  return Array.from({ length: 10 }, (_, i) => {
    const row = new Array(10).fill(0);
    const hits = Math.round(1000 * (accuracy + (rand() - 0.5) * 0.1));
    row[i] = Math.min(1000, hits);
    let left = 1000 - row[i];
    while (left > 0) {
      const j = Math.floor(rand() * 10);
      if (j === i) continue;
      const n = Math.min(left, 1 + Math.floor(rand() * 20));
      row[j] += n;
      left -= n;
    }
    return row;
  });
}

/** SQLite text form of a DateTime, as Prisma's adapter writes it. */
const sqlDate = (d: Date) => d.toISOString().replace("Z", "+00:00");

/**
 * Multi-row INSERTs, a few per transaction. Prisma's createMany costs about 0.8 ms a row through
 * the driver adapter (20 min for this data set); this takes seconds.
 */
async function bulkInsert(db: Db, table: string, rows: Record<string, unknown>[]) {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]);
  const perStatement = Math.floor(30_000 / columns.length); // SQLite allows 32,766 parameters
  const statements = [];
  for (let i = 0; i < rows.length; i += perStatement) {
    const chunk = rows.slice(i, i + perStatement);
    const values = chunk.flatMap((row) =>
      columns.map((c) => {
        const v = row[c];
        if (v instanceof Date) return sqlDate(v);
        if (v !== null && typeof v === "object") return JSON.stringify(v);
        return v ?? null;
      }),
    );
    const tuple = `(${columns.map(() => "?").join(",")})`;
    statements.push(
      db.$executeRawUnsafe(`INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(",")}) VALUES ${chunk.map(() => tuple).join(",")}`, ...values),
    );
  }
  for (let i = 0; i < statements.length; i += 8) await db.$transaction(statements.slice(i, i + 8));
}

export interface SeedOptions {
  runs: number;
  epochs: number;
  /** Runs that also get a full set of misclassified rows (about 1,000 each, as on the real test set). */
  withMisclassified?: number;
}

/** Seeds `runs` synthetic runs (deterministic) with their epochs and evaluations; returns the ids of
 * the runs that got misclassified rows. */
export async function seed(db: Db, { runs: RUNS, epochs: EPOCHS, withMisclassified: WITH_MISCLASSIFIED = 20 }: SeedOptions) {
  const rand = rng(42);
  const t0 = Date.now() - RUNS * 60_000;
  const CHUNK = 2000;
  const now = new Date();
  let seq = 0;
  const cuid = (prefix: string) => `${prefix}${(seq++).toString(36).padStart(8, "0")}`;
  for (let start = 0; start < RUNS; start += CHUNK) {
    const runs = [];
    const epochs = [];
    const evaluations = [];
    const params = [];
    for (let k = start; k < Math.min(RUNS, start + CHUNK); k++) {
      const id = `bench${String(k).padStart(6, "0")}`;
      const status = pickStatus(rand());
      const architecture = ARCHS[k % 3];
      const batchSize = [32, 64, 128, 256][Math.floor(rand() * 4)];
      const learningRate = [0.0003, 0.001, 0.003][Math.floor(rand() * 3)];
      const done = status === "SUCCEEDED";
      const completed = done ? EPOCHS : Math.floor(rand() * EPOCHS);
      const acc = 0.8 + rand() * 0.13;
      const config = { architecture, epochs: EPOCHS, batchSize, learningRate, validationSplit: 0.2, patience: 3, dropout: 0.3, seed: k, backend: "auto", dataset: { dir: "/data/fashion-mnist", source: "explicit", subset: null } };
      // As createRun writes them: the list sorts and filters hyper-parameters through RunParam.
      params.push(...runParamRows(config).map((p) => ({ runId: id, ...p })));
      runs.push({
        id,
        name: `${architecture} bs${batchSize} lr${learningRate} #${k}`,
        architecture,
        config,
        seed: k,
        status,
        createdAt: new Date(t0 + k * 60_000),
        startedAt: new Date(t0 + k * 60_000 + 1000),
        finishedAt: done ? new Date(t0 + k * 60_000 + 300_000) : null,
        backend: "wasm",
        epochsPlanned: EPOCHS,
        epochsCompleted: completed,
        bestEpoch: completed > 0 ? completed : null,
        bestValAccuracy: completed > 0 ? acc + 0.005 : null,
        testAccuracy: done ? acc : null,
        testLoss: done ? 0.3 : null,
        durationMs: done ? 200_000 + Math.floor(rand() * 200_000) : null,
        updatedAt: now,
      });
      for (let e = 1; e <= completed; e++) {
        const f = e / EPOCHS;
        epochs.push({ id: cuid("ep"), createdAt: now, runId: id, epoch: e, loss: 1 - 0.7 * f, accuracy: 0.6 + 0.3 * f, valLoss: 1.05 - 0.7 * f, valAccuracy: 0.58 + 0.3 * f, learningRate, durationMs: 10_000, imagesPerSec: 4800 });
      }
      if (done) {
        const cm = syntheticMatrix(rand, acc);
        evaluations.push({ id: `eval${id}`, createdAt: now, runId: id, testAccuracy: acc, testLoss: 0.3, numExamples: 10_000, confusionMatrix: cm, report: classificationReport(cm) as object });
      }
    }
    await bulkInsert(db, "Run", runs);
    await bulkInsert(db, "RunParam", params);
    await bulkInsert(db, "EpochMetric", epochs);
    await bulkInsert(db, "Evaluation", evaluations);
  }
  // Misclassified rows for a few runs (the gallery query), about 1,000 each.
  const evaluated = await db.evaluation.findMany({ take: WITH_MISCLASSIFIED, orderBy: { runId: "asc" }, select: { id: true, runId: true, confusionMatrix: true } });
  for (const ev of evaluated) {
    const cm = ev.confusionMatrix as number[][];
    const rows = [];
    let index = 0;
    for (let t = 0; t < 10; t++) {
      for (let p = 0; p < 10; p++) {
        for (let n = 0; n < cm[t][p]; n++, index++) {
          if (t === p) continue;
          const probabilities = Array.from({ length: 10 }, () => Math.round(rand() * 1e4) / 1e5);
          probabilities[p] = 0.5 + rand() / 2;
          rows.push({ id: cuid("mc"), evaluationId: ev.id, testIndex: index, trueLabel: t, predLabel: p, confidence: probabilities[p], probabilities });
        }
      }
    }
    await bulkInsert(db, "Misclassified", rows);
  }
  return evaluated.map((e) => e.runId);
}

