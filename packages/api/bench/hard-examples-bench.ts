// Seeds 100 succeeded full-dataset runs with about 900 misclassified test images each (90,000
// rows; some images hard for every model, most wrong in a few runs, as in real evaluations) into
// a throwaway SQLite and (where binaries exist) PostgreSQL database, and times hardExamples.list
// through createCaller: default view, "wrong in every run", one true/predicted pair, a later page.
// Usage: pnpm --filter @fmnist/api exec tsx bench/hard-examples-bench.ts [--runs 100] [--wrong 900] [--iterations 30]
import type { Db } from "@fmnist/db/client";
import { createTestDb, postgresAvailable, type TestDialect } from "../test/db";
import { rng } from "./seed";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const RUNS = arg("runs", 100);
const WRONG = arg("wrong", 900);
const ITERATIONS = arg("iterations", 30);
const TARGET_P95_MS = 200;
const TEST_SET = 10_000;


async function seed(db: Db, dialect: TestDialect) {
  const rand = rng(7);
  const labels = Array.from({ length: TEST_SET }, (_, i) => i % 10);
  // Difficulty per image: a few hundred images most models miss, a long tail of occasional misses.
  const difficulty = Array.from({ length: TEST_SET }, () => (rand() < 0.03 ? 0.5 + rand() * 0.5 : rand() * 0.1));
  const total = difficulty.reduce((a, b) => a + b, 0);
  const now = Date.now();
  await db.run.createMany({
    data: Array.from({ length: RUNS }, (_, k) => ({
      id: `hx${String(k).padStart(6, "0")}`,
      name: `bench run ${k}`,
      architecture: "reference-cnn",
      config: { epochs: 10 },
      seed: k,
      status: "SUCCEEDED",
      epochsPlanned: 10,
      createdAt: new Date(now - (RUNS - k) * 1000),
    })),
  });
  // Each run's mistakes, and the confusion matrix the trainer records with them.
  let seq = 0;
  const perRun = Array.from({ length: RUNS }, (_, k) => {
    const wrong = new Set<number>();
    while (wrong.size < WRONG) {
      // Sample an image with probability proportional to its difficulty.
      let r = rand() * total;
      let i = 0;
      while (i < TEST_SET - 1 && r > difficulty[i]) r -= difficulty[i++];
      wrong.add(i);
    }
    const matrix = Array.from({ length: 10 }, (_, t) => Array.from({ length: 10 }, (_, p) => (t === p ? TEST_SET / 10 : 0)));
    const rows = [...wrong].map((i) => {
      const pred = (labels[i] + 1 + Math.floor(rand() * 9)) % 10;
      matrix[labels[i]][pred]++;
      matrix[labels[i]][labels[i]]--;
      return [`hxm${(seq++).toString(36).padStart(9, "0")}`, `hxe${String(k).padStart(6, "0")}`, i, labels[i], pred, 0.5 + rand() / 2, "[]"];
    });
    return { rows, matrix };
  });
  await db.evaluation.createMany({
    data: perRun.map(({ matrix }, k) => ({
      id: `hxe${String(k).padStart(6, "0")}`,
      runId: `hx${String(k).padStart(6, "0")}`,
      testAccuracy: 1 - WRONG / TEST_SET,
      testLoss: 0.3,
      numExamples: TEST_SET,
      confusionMatrix: matrix,
      report: [],
    })),
  });
  for (const { rows } of perRun) {
    const per = 1000;
    for (let s = 0; s < rows.length; s += per) {
      const chunk = rows.slice(s, s + per);
      let n = 0;
      const ph = () => (dialect === "postgres" ? `$${++n}` : "?");
      const tuples = chunk.map(() => `(${ph()},${ph()},${ph()},${ph()},${ph()},${ph()},${ph()}${dialect === "postgres" ? "::jsonb" : ""})`);
      await db.$executeRawUnsafe(
        `INSERT INTO "Misclassified" ("id","evaluationId","testIndex","trueLabel","predLabel","confidence","probabilities") VALUES ${tuples.join(",")}`,
        ...chunk.flat(),
      );
    }
  }
  return seq;
}

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function bench(dialect: TestDialect) {
  const t = await createTestDb(dialect);
  try {
    const t0 = performance.now();
    const rows = await seed(t.db, dialect);
    console.log(`${dialect}: seeded ${RUNS} runs, ${rows.toLocaleString("en")} misclassified rows in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const first = await t.api.hardExamples.list({});
    const cases: [string, Parameters<typeof t.api.hardExamples.list>[0]][] = [
      ["most-missed, first page (48)", {}],
      ["wrong in every run", { view: "all" }],
      ["pair Shirt -> T-shirt/top", { trueLabel: 6, predLabel: 0 }],
      ["page 10", { cursor: 480 }],
      ["explicit 50 runs", { runIds: first.runs.slice(0, 50).map((r) => r.id) }],
    ];
    const results = [];
    for (const [name, input] of cases) {
      await t.api.hardExamples.list(input); // warm
      const times: number[] = [];
      for (let i = 0; i < ITERATIONS; i++) {
        const s = performance.now();
        await t.api.hardExamples.list(input);
        times.push(performance.now() - s);
      }
      times.sort((x, y) => x - y);
      const p95 = percentile(times, 95);
      results.push({ dialect, query: name, p50: Number(percentile(times, 50).toFixed(1)), p95: Number(p95.toFixed(1)), ok: p95 <= TARGET_P95_MS });
    }
    console.table(results);
    console.log(`${dialect}: ${first.total.toLocaleString("en")} distinct images wrong at least once; wrong in all ${RUNS} runs: ${first.allWrong}; top image wrong in ${first.items[0]?.wrongRuns} runs`);
    return results;
  } finally {
    await t.close();
  }
}

const all = [...(await bench("sqlite")), ...(postgresAvailable ? await bench("postgres") : [])];
if (!postgresAvailable) console.log("postgres: skipped (no binaries, no TEST_DATABASE_URL_PG)");
const failed = all.filter((r) => !r.ok);
console.log(failed.length ? `FAIL: p95 over ${TARGET_P95_MS} ms for ${failed.map((f) => `${f.dialect} ${f.query}`).join(", ")}` : `OK: every p95 <= ${TARGET_P95_MS} ms`);
process.exitCode = failed.length ? 1 : 0;
