/**
 * pnpm bench:serve — the prediction API under load, against a production server started as
 * `./studio start` starts it (`pnpm --filter @fmnist/web start`, i.e. `next start`), on a scratch
 * database with one freshly trained model registered as fashion-classifier@production.
 *
 * Prints, in one run: single-image JSON requests at 64 connections (req/s, p50, p99), requests of
 * 256 images (images/s), and in-process predict images/s of the same model on the same backend
 * (the limit batched serving is measured against). autocannon generates the load.
 *
 * Env: BENCH_DURATION (s per load test, default 10), BENCH_ARCH (default reference-cnn),
 * BENCH_PORT (default 3290), BENCH_SKIP_BUILD=1 (reuse .next).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createCaller, createTRPCContext } from "@fmnist/api";
import { FIXTURE_DIR, IMAGE_PIXELS, readDataset } from "@fmnist/data";
import { createDb } from "@fmnist/db/client";
import { migrate } from "@fmnist/db/migrate";
import autocannon from "autocannon";

const webDir = resolve(import.meta.dirname, "..");
const repoRoot = resolve(webDir, "../..");
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const ARCH = process.env.BENCH_ARCH ?? "reference-cnn";
const PORT = Number(process.env.BENCH_PORT ?? 3290);
const base = `http://127.0.0.1:${PORT}`;

const dir = mkdtempSync(join(tmpdir(), "fmnist-bench-serve-"));
const env = { ...process.env, DATABASE_URL: `file:${join(dir, "bench.db")}`, ARTIFACTS_DIR: join(dir, "artifacts"), NEXT_TELEMETRY_DISABLED: "1" };
Object.assign(process.env, { DATABASE_URL: env.DATABASE_URL, ARTIFACTS_DIR: env.ARTIFACTS_DIR });

function log(msg: string) {
  console.error(`[bench:serve] ${msg}`);
}

async function waitFor(url: string, ms: number) {
  const until = Date.now() + ms;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return await res.json();
      if (Date.now() > until) throw new Error(`${url} answered ${res.status}: ${await res.text()}`);
    } catch (e) {
      if (Date.now() > until) throw e;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** CPU seconds (user + system) used so far by a process and all its descendants (Linux /proc). */
function cpuSeconds(root: number): number {
  const stats = readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .flatMap((pid) => {
      try {
        const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
        return [{ pid: Number(pid), ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / 100 }];
      } catch {
        return [];
      }
    });
  const tree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const s of stats) {
      if (!tree.has(s.pid) && tree.has(s.ppid)) {
        tree.add(s.pid);
        grew = true;
      }
    }
  }
  return stats.filter((s) => tree.has(s.pid)).reduce((sum, s) => sum + s.cpu, 0);
}

function load(title: string, body: string, connections: number): Promise<autocannon.Result> {
  return new Promise((resolveRun, reject) => {
    autocannon(
      { title, url: `${base}/api/v1/models/fashion-classifier@production:predict`, method: "POST", headers: { "content-type": "application/json" }, body, connections, duration: DURATION },
      (err, result) => (err ? reject(err) : resolveRun(result)),
    );
  });
}

async function main() {
  await migrate(env.DATABASE_URL, { log: () => {} });
  log(`training a ${ARCH} (1 epoch on the shipped subset) into ${dir}`);
  const train = spawnSync("pnpm", ["--silent", "--filter", "@fmnist/trainer", "train", "--data-dir", FIXTURE_DIR, "--architecture", ARCH, "--epochs", "1", "--name", "bench:serve"], {
    cwd: repoRoot,
    env,
    encoding: "utf8",
  });
  const runId = train.stdout.trim().split("\n").pop()?.trim() ?? "";
  if (train.status !== 0 || !runId) throw new Error(`training failed:\n${train.stderr.slice(-2000)}`);
  const db = createDb(env.DATABASE_URL);
  const api = createCaller(createTRPCContext({ db }));
  await api.registry.register({ runId, name: "fashion-classifier" });
  await api.registry.setAlias({ name: "fashion-classifier", alias: "production", version: 1 });

  if (process.env.BENCH_SKIP_BUILD !== "1" || !existsSync(join(webDir, ".next", "BUILD_ID"))) {
    log("next build");
    const build = spawnSync("pnpm", ["exec", "next", "build"], { cwd: webDir, env, stdio: ["ignore", "ignore", "inherit"] });
    if (build.status !== 0) throw new Error("next build failed");
  }
  log(`starting the server as ./studio start does (pnpm --filter @fmnist/web start) on port ${PORT}`);
  const server = spawn("pnpm", ["--filter", "@fmnist/web", "start"], { cwd: repoRoot, env: { ...env, PORT: String(PORT) }, stdio: ["ignore", "ignore", "inherit"], detached: true });
  const stop = () => {
    try {
      if (server.pid) process.kill(-server.pid, "SIGTERM");
    } catch {}
  };
  process.on("exit", stop);
  try {
    // Readiness = the metadata endpoint, which loads the model.
    const meta = (await waitFor(`${base}/api/v1/models/fashion-classifier@production`, 120_000)) as { backend: string; backendNote: string; params: number };
    log(`server ready: backend ${meta.backend} (${meta.backendNote}), ${meta.params} parameters`);

    const test = readDataset(FIXTURE_DIR).test.images;
    const image = (i: number) => Array.from(test.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS), (p) => +(p / 255).toFixed(4));
    const one = JSON.stringify({ instances: [image(0)] });
    const many = JSON.stringify({ instances: Array.from({ length: 256 }, (_, i) => image(i)) });

    log("warm-up");
    await new Promise<void>((r) => autocannon({ url: `${base}/api/v1/models/fashion-classifier@production:predict`, method: "POST", headers: { "content-type": "application/json" }, body: one, connections: 64, duration: 2 }, () => r()));
    const load0 = loadavg()[0];
    log(`single-image requests, 64 connections, ${DURATION} s`);
    const pid = server.pid ?? 0;
    type Stats = { batches: number; images: number; rejected: number; maxBatchSeen: number };
    const serverStats = async () => ((await (await fetch(`${base}/api/v1/models/fashion-classifier@production`)).json()) as { serving: Stats }).serving;
    const stats0 = await serverStats();
    const cpu0 = cpuSeconds(pid);
    const single = await load("single", one, 64);
    const cpu1 = cpuSeconds(pid);
    const stats1 = await serverStats();
    const singleBatches = stats1.batches - stats0.batches;
    const singleMean = (stats1.images - stats0.images) / Math.max(1, singleBatches);
    log(`256-image requests, 8 connections, ${DURATION} s`);
    const batched = await load("batched", many, 8);
    const cpu2 = cpuSeconds(pid);

    // Server CPU per request: what the machine's load does not change much (unlike req/s).
    const singleCpuMs = (1000 * (cpu1 - cpu0)) / Math.max(1, single.requests.total);
    const batchedCpuMs = (1000 * (cpu2 - cpu1)) / Math.max(1, batched.requests.total * 256);
    const load1 = loadavg()[0];
    stop();

    // The same model on the same backend in this process: the limit for batched serving.
    process.env.FMNIST_SERVE_BACKEND = meta.backend;
    const { loadPredictor } = await import("../src/serving/predictor");
    const resolved = await api.registry.resolve({ name: "fashion-classifier", alias: "production" });
    const predictor = await loadPredictor(join(env.ARTIFACTS_DIR, resolved.modelPath ?? ""));
    const predict = predictor.predict;
    const batch = new Float32Array(256 * IMAGE_PIXELS);
    for (let i = 0; i < batch.length; i++) batch[i] = test[i] / 255;
    for (let i = 0; i < 3; i++) predict(batch, 256);
    let images = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < 5000) {
      predict(batch, 256);
      images += 256;
    }
    const inProcess = images / ((performance.now() - t0) / 1000);
    predictor.dispose();
    await db.$disconnect();

    const ok = (r: autocannon.Result) => r.non2xx === 0 && r.errors === 0;
    const singleRps = single.requests.average;
    const batchedIps = batched.requests.average * 256;
    console.log(`
Serving benchmark (${ARCH}, backend ${meta.backend}, ${cpus().length} cores, load average ${load0.toFixed(1)} before / ${load1.toFixed(1)} after the load tests)
  single-image JSON, 64 connections:  ${singleRps.toFixed(0)} req/s   p50 ${single.latency.p50} ms   p99 ${single.latency.p99} ms   (${single.non2xx} non-2xx, ${single.errors} errors)
  256-image JSON, 8 connections:      ${batchedIps.toFixed(0)} images/s   (${batched.requests.average.toFixed(1)} req/s, p50 ${batched.latency.p50} ms, p99 ${batched.latency.p99} ms, ${batched.non2xx} non-2xx)
  server CPU: ${singleCpuMs.toFixed(2)} ms per single-image request (${(1000 / singleCpuMs).toFixed(0)} req/s per busy core), ${batchedCpuMs.toFixed(3)} ms per image in 256-image requests
  server batches (single-image phase): ${singleBatches} of ${singleMean.toFixed(1)} images on average; ${stats1.rejected} requests refused with 503
  in-process predict, batch 256:      ${inProcess.toFixed(0)} images/s   (same model, same backend)
  batched serving / in-process:       ${((100 * batchedIps) / inProcess).toFixed(0)}%
Targets: >= 2000 single-image req/s with p99 <= 50 ms: ${singleRps >= 2000 && single.latency.p99 <= 50 && ok(single) ? "met" : "NOT met"}; batched >= 50% of in-process: ${batchedIps >= inProcess / 2 && ok(batched) ? "met" : "NOT met"}`);
  } finally {
    stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
