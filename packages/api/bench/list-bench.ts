// Seeds 10,000 runs x 20 epochs (synthetic rows, each run with an evaluation) into a temporary
// SQLite database and reports the server time of the dashboard's queries through createCaller.
// Usage: pnpm --filter @fmnist/api bench [--runs 10000] [--epochs 20] [--samples 200]
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDb, type Db } from "@fmnist/db/client";
import { migrate } from "@fmnist/db/migrate";
import { classificationReport } from "@fmnist/model";
import { createCaller, createTRPCContext } from "../src/index";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const RUNS = arg("runs", 10_000);
const EPOCHS = arg("epochs", 20);
const SAMPLES = arg("samples", 200);
/** Runs that also get a full set of misclassified rows (about 1,000 each, as on the real test set). */
const WITH_MISCLASSIFIED = 20;
const TARGET_P95_MS = 50;

const ARCHS = ["reference-cnn", "mlp", "tiny-cnn"];
const STATUSES: [string, number][] = [["SUCCEEDED", 0.85], ["FAILED", 0.08], ["CANCELLED", 0.04], ["RUNNING", 0.02], ["QUEUED", 0.01]];

/** Deterministic pseudo-random numbers, so every bench run seeds the same data. */
function rng(seed: number) {
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

async function seed(db: Db) {
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
    for (let k = start; k < Math.min(RUNS, start + CHUNK); k++) {
      const id = `bench${String(k).padStart(6, "0")}`;
      const status = pickStatus(rand());
      const architecture = ARCHS[k % 3];
      const batchSize = [32, 64, 128, 256][Math.floor(rand() * 4)];
      const learningRate = [0.0003, 0.001, 0.003][Math.floor(rand() * 3)];
      const done = status === "SUCCEEDED";
      const completed = done ? EPOCHS : Math.floor(rand() * EPOCHS);
      const acc = 0.8 + rand() * 0.13;
      runs.push({
        id,
        name: `${architecture} bs${batchSize} lr${learningRate} #${k}`,
        architecture,
        config: { architecture, epochs: EPOCHS, batchSize, learningRate, validationSplit: 0.2, patience: 3, dropout: 0.3, seed: k, backend: "auto", dataset: { dir: "/data/fashion-mnist", source: "explicit", subset: null } },
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

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function measure(name: string, call: (i: number) => Promise<unknown>) {
  for (let i = 0; i < 10; i++) await call(i); // warm-up: statement cache, JIT
  const times: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t = performance.now();
    await call(i);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const p50 = percentile(times, 50);
  const p95 = percentile(times, 95);
  return { query: name, p50: Number(p50.toFixed(2)), p95: Number(p95.toFixed(2)), max: Number(times[times.length - 1].toFixed(2)), ok: p95 <= TARGET_P95_MS };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), "fmnist-bench-"));
  const url = `file:${join(dir, "bench.db")}`;
  try {
    await migrate(url, { log: () => {} });
    const db = createDb(url);
    let t = performance.now();
    const gallery = await seed(db);
    const seedMs = performance.now() - t;
    const [runs, epochs, misclassified] = await Promise.all([db.run.count(), db.epochMetric.count(), db.misclassified.count()]);
    console.log(
      `seeded ${runs.toLocaleString("en")} runs, ${epochs.toLocaleString("en")} epochs, ${misclassified.toLocaleString("en")} misclassified rows in ${(seedMs / 1000).toFixed(1)} s (${(statSync(join(dir, "bench.db")).size / 2 ** 20).toFixed(0)} MB); ${SAMPLES} samples per query`,
    );

    const api = createCaller(createTRPCContext({ db, dialect: "sqlite" }));
    const ids = (await db.run.findMany({ where: { status: "SUCCEEDED" }, select: { id: true }, take: 500 })).map((r) => r.id);
    const results = [];
    t = performance.now();
    results.push(await measure("runs.list default (newest first, 25 rows)", () => api.runs.list({ limit: 25 })));
    results.push(await measure("runs.list default, page 200 (offset 4,975)", () => api.runs.list({ limit: 25, cursor: 4975 })));
    results.push(await measure("runs.list sorted by test accuracy desc", () => api.runs.list({ limit: 25, sort: { column: "testAccuracy", direction: "desc" } })));
    results.push(await measure("runs.list sorted by test accuracy asc", () => api.runs.list({ limit: 25, sort: { column: "testAccuracy", direction: "asc" } })));
    results.push(
      await measure("runs.list status=SUCCEEDED, by test accuracy", () => api.runs.list({ limit: 25, status: ["SUCCEEDED"], sort: { column: "testAccuracy", direction: "desc" } })),
    );
    results.push(await measure("runs.list status=FAILED,CANCELLED (newest)", () => api.runs.list({ limit: 25, status: ["FAILED", "CANCELLED"] })));
    results.push(await measure("runs.list architecture=mlp, by duration", () => api.runs.list({ limit: 25, architecture: "mlp", sort: { column: "durationMs", direction: "desc" } })));
    results.push(await measure("runs.list sorted by batch size (config JSON)", () => api.runs.list({ limit: 25, sort: { column: "batchSize", direction: "desc" } })));
    results.push(await measure("runs.list name search 'bs128 lr0.001'", () => api.runs.list({ limit: 25, search: "bs128 lr0.001" })));
    results.push(await measure("runs.list 100 rows", () => api.runs.list({ limit: 100 })));
    results.push(await measure("runs.facets", () => api.runs.facets()));
    results.push(await measure("runs.byId (20 epochs + evaluation)", (i) => api.runs.byId({ id: ids[i % ids.length] })));
    results.push(await measure("runs.byId (+1,000 misclassified rows counted)", (i) => api.runs.byId({ id: gallery[i % gallery.length] })));
    results.push(await measure("runs.misclassified (40 images, true class filter)", (i) => api.runs.misclassified({ runId: gallery[i % gallery.length], trueLabel: i % 10 })));
    results.push(await measure("runs.compare (4 runs)", (i) => api.runs.compare({ ids: ids.slice((i * 4) % 400, ((i * 4) % 400) + 4) })));
    console.table(results);
    console.log(`target p95 <= ${TARGET_P95_MS} ms: ${results.every((r) => r.ok) ? "met by every query" : `missed by ${results.filter((r) => !r.ok).map((r) => r.query).join("; ")}`} (${((performance.now() - t) / 1000).toFixed(1)} s measuring)`);
    await db.$disconnect();
    if (!results.every((r) => r.ok)) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
