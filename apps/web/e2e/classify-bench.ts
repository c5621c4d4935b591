// Classify page bench, in headless Chromium: model load time, p50 single-image inference over 50
// images, whole-test-set time, and the backend that ran.
//
//   pnpm exec tsx apps/web/e2e/classify-bench.ts [--backends auto,wasm,webgl,cpu] [--images 50] [--batch 500] [--port 3297]
//
// Target: the default database (data/fmnist.db, data/artifacts) when it holds a SUCCEEDED
// reference-cnn run evaluated on the full 10,000-image test set (the best one); otherwise the e2e
// database (apps/web/e2e/.tmp, from the last `test:e2e`), whose runs use the 500-image subset,
// which the report then says. Needs a production build (`pnpm --filter @fmnist/web build`); makes
// one if there is none. Results also go to apps/web/e2e/.tmp/classify-bench.json.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createDb } from "@fmnist/db/client";
import { chromium, type Page } from "@playwright/test";
import { E2E_ARTIFACTS_DIR, E2E_DATABASE_URL, E2E_DB_FILE, E2E_DIR } from "./paths";

const webDir = resolve(import.meta.dirname, "..");
const repoRoot = resolve(webDir, "../..");
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

const { values: opts } = parseArgs({
  options: {
    backends: { type: "string", default: "auto" },
    images: { type: "string", default: "50" },
    batch: { type: "string", default: "500" },
    port: { type: "string", default: "3297" },
  },
});

interface Target {
  databaseUrl: string;
  artifactsDir: string;
  runId: string;
  description: string;
  full: boolean;
}

async function bestRun(databaseUrl: string, where: { architecture?: string; numExamples?: number }) {
  const db = createDb(databaseUrl);
  try {
    return await db.run.findFirst({
      where: {
        status: "SUCCEEDED",
        ...(where.architecture ? { architecture: where.architecture } : {}),
        artifacts: { some: { kind: "tfjs-layers-model" } },
        evaluation: where.numExamples ? { numExamples: where.numExamples } : { isNot: null },
      },
      orderBy: { testAccuracy: "desc" },
      select: { id: true, name: true, architecture: true, testAccuracy: true, evaluation: { select: { numExamples: true } } },
    });
  } finally {
    await db.$disconnect();
  }
}

async function chooseTarget(): Promise<Target> {
  const dbFile = join(repoRoot, "data/fmnist.db");
  if (existsSync(dbFile)) {
    const databaseUrl = `file:${dbFile}`;
    const run = await bestRun(databaseUrl, { architecture: "reference-cnn", numExamples: 10_000 }).catch(() => null);
    if (run) {
      return {
        databaseUrl,
        artifactsDir: join(repoRoot, "data/artifacts"),
        runId: run.id,
        full: true,
        description: `default database: "${run.name}" (${run.architecture}, test accuracy ${run.testAccuracy}, ${run.evaluation?.numExamples} test images)`,
      };
    }
  }
  if (!existsSync(E2E_DB_FILE)) throw new Error("No full-dataset reference-cnn run in data/fmnist.db and no e2e database: run `pnpm --filter @fmnist/web test:e2e` first");
  const run = await bestRun(E2E_DATABASE_URL, {});
  if (!run) throw new Error("the e2e database has no SUCCEEDED run with a model");
  return {
    databaseUrl: E2E_DATABASE_URL,
    artifactsDir: E2E_ARTIFACTS_DIR,
    runId: run.id,
    full: false,
    description: `e2e database (no full-dataset reference-cnn run in data/fmnist.db): "${run.name}" (${run.architecture}, ${run.evaluation?.numExamples} test images, NOT the 10,000-image targets)`,
  };
}

async function startServer(target: Target, port: number): Promise<ChildProcess> {
  if (!existsSync(join(webDir, ".next/BUILD_ID"))) {
    console.log("no production build: running next build");
    const b = spawnSync("pnpm", ["exec", "next", "build"], { cwd: webDir, stdio: "inherit" });
    if (b.status !== 0) throw new Error("next build failed");
  }
  const server = spawn("pnpm", ["exec", "next", "start", "-H", "127.0.0.1", "-p", String(port)], {
    cwd: webDir,
    env: { ...process.env, DATABASE_URL: target.databaseUrl, ARTIFACTS_DIR: target.artifactsDir, NEXT_TELEMETRY_DISABLED: "1" },
    stdio: ["ignore", "ignore", "inherit"],
    detached: true,
  });
  for (let i = 0; i < 120; i++) {
    if (server.exitCode !== null) throw new Error(`next start exited with ${server.exitCode} (port ${port} taken?)`);
    const ok = await fetch(`http://127.0.0.1:${port}/icon.svg`).then((r) => r.ok, () => false);
    if (ok) return server;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("the server did not start within 60 s");
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
};

async function measure(page: Page, base: string, runId: string, backend: string, images: number, batch: number) {
  const query = `?run=${encodeURIComponent(runId)}${backend === "auto" ? "" : `&backend=${backend}`}`;
  await page.goto(`${base}/classify${query}`);
  const status = page.getByTestId("model-status");
  await status.and(page.locator('[data-state="ready"], [data-state="error"]')).waitFor({ timeout: 120_000 });
  if ((await status.getAttribute("data-state")) === "error") throw new Error(`model did not load: ${await status.textContent()}`);
  const ran = (await page.getByTestId("model-backend").textContent()) ?? "?";
  const loadMs = Number(await page.getByTestId("model-load-ms").getAttribute("data-value"));
  const statusText = (await status.textContent()) ?? "";
  const warmupMs = Number(/first prediction ([\d.]+) ms/.exec(statusText)?.[1] ?? Number.NaN);

  const inference: number[] = [];
  let seq = 0;
  for (let i = 0; i < images; i++) {
    await page.getByTestId("random-test-image").click();
    await page.waitForFunction((prev) => Number(document.querySelector('[data-testid="result"]')?.getAttribute("data-seq") ?? 0) > prev, seq, { timeout: 30_000 });
    seq = Number(await page.getByTestId("result").getAttribute("data-seq"));
    inference.push(Number(await page.getByTestId("inference-ms").getAttribute("data-value")));
  }

  await page.getByLabel("Batch size").selectOption(String(batch));
  await page.getByTestId("run-test-set").click();
  await page.getByTestId("testset-time").or(page.getByTestId("test-set-error")).waitFor({ timeout: 600_000 });
  if (await page.getByTestId("test-set-error").isVisible()) throw new Error(`test set failed: ${await page.getByTestId("test-set-error").textContent()}`);
  const time = page.getByTestId("testset-time");
  return {
    backend: ran,
    requested: backend,
    skipped: /skipped: (.*)$/.exec(statusText)?.[1] ?? null,
    modelLoadMs: loadMs,
    firstPredictionMs: warmupMs,
    singleImage: { n: inference.length, p50Ms: quantile(inference, 0.5), p95Ms: quantile(inference, 0.95), minMs: Math.min(...inference) },
    testSet: {
      images: Number(await page.getByTestId("testset-accuracy").getAttribute("data-count")),
      batch,
      totalMs: Number(await time.getAttribute("data-total-ms")),
      downloadMs: Number(await time.getAttribute("data-download-ms")),
      classifyMs: Number(await time.getAttribute("data-classify-ms")),
      accuracy: Number(await page.getByTestId("testset-accuracy").getAttribute("data-value")),
      equalsTrainer: (await page.getByTestId("testset-match").getAttribute("data-match")) === "true",
    },
  };
}

async function main() {
  const target = await chooseTarget();
  const port = Number(opts.port);
  console.log(`target: ${target.description}`);
  const server = await startServer(target, port);
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: CHROMIUM_ARGS });
  const results = [];
  try {
    for (const backend of opts.backends.split(",").map((b) => b.trim())) {
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      const page = await context.newPage();
      try {
        const r = await measure(page, `http://127.0.0.1:${port}`, target.runId, backend, Number(opts.images), Number(opts.batch));
        results.push(r);
        const t = r.testSet;
        console.log(
          [
            `backend ${r.backend}${r.requested === "auto" ? " (automatic choice)" : ""}${r.skipped ? `; skipped ${r.skipped}` : ""}`,
            `  model load        ${r.modelLoadMs.toFixed(1)} ms (first prediction ${r.firstPredictionMs} ms)`,
            `  single image      p50 ${r.singleImage.p50Ms.toFixed(2)} ms, p95 ${r.singleImage.p95Ms.toFixed(2)} ms over ${r.singleImage.n} images (target p50 <= 5 ms)`,
            `  whole test set    ${t.images} images in ${(t.totalMs / 1000).toFixed(2)} s = download ${t.downloadMs.toFixed(0)} ms + classify ${t.classifyMs.toFixed(0)} ms (batch ${t.batch}; target <= 10 s for 10,000)`,
            `  accuracy          ${t.accuracy} ${t.equalsTrainer ? "= the trainer's evaluation (accuracy and all 100 cells)" : "DIFFERS from the trainer's evaluation"}`,
          ].join("\n"),
        );
      } catch (e) {
        console.log(`backend ${backend}: ${e instanceof Error ? e.message : e}`);
        results.push({ requested: backend, error: String(e) });
      } finally {
        await context.close();
      }
    }
  } finally {
    await browser.close();
    if (server.pid) process.kill(-server.pid, "SIGTERM");
  }
  mkdirSync(E2E_DIR, { recursive: true });
  const out = join(E2E_DIR, "classify-bench.json");
  writeFileSync(out, JSON.stringify({ target: target.description, fullDataset: target.full, chromium: browser.version(), results }, null, 2));
  console.log(`written to ${out}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
