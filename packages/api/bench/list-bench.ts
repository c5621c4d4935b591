// Seeds 10,000 runs x 20 epochs (synthetic rows, each run with an evaluation) into a temporary
// SQLite database and reports the server time of the dashboard's queries through createCaller.
// Usage: pnpm --filter @fmnist/api bench [--runs 10000] [--epochs 20] [--samples 200]
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDb } from "@fmnist/db/client";
import { migrate } from "@fmnist/db/migrate";
import { createCaller, createTRPCContext } from "../src/index";
import { seed } from "./seed";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const RUNS = arg("runs", 10_000);
const EPOCHS = arg("epochs", 20);
const SAMPLES = arg("samples", 200);
const TARGET_P95_MS = 50;

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
    const gallery = await seed(db, { runs: RUNS, epochs: EPOCHS });
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
    results.push(await measure("runs.list sorted by batch size (RunParam)", () => api.runs.list({ limit: 25, sort: { column: "batchSize", direction: "desc" } })));
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
