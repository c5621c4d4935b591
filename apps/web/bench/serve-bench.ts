/**
 * pnpm bench:serve — the prediction API under load, against a production server started as
 * `./studio start` starts it (`pnpm --filter @fmnist/web start`, i.e. `next start`), on a scratch
 * database with one freshly trained model registered as fashion-classifier@production.
 *
 * Prints, in one run: single-image JSON requests at 64 connections (req/s, p50, p99), requests of
 * 256 images (images/s), and in-process predict images/s of the same model on the same backend
 * (the limit batched serving is measured against). autocannon generates the load.
 *
 * The requests take the fast path (a plain Node handler before Next's router, see
 * src/serving/node-handler.ts). For reference it also prints, with the same autocannon settings:
 * a plain Node HTTP server that reads the same body and answers a constant JSON of the same size
 * (the ceiling of this machine for any server in Node, with the load generator on the same cores),
 * and with BENCH_NEXT_PATH=1 the same endpoint through Next's app router (FMNIST_SERVE_FAST=0).
 * autocannon's own CPU (this process) is printed beside each line: it shares the cores.
 *
 * Env: BENCH_DURATION (s per load test, default 10), BENCH_ARCH (default reference-cnn),
 * BENCH_PORT (default 3290), BENCH_SKIP_BUILD=1 (reuse .next), BENCH_NEXT_PATH=1 (also measure
 * through Next), BENCH_CPU_PROF=<dir> (the server runs as `node --cpu-prof next start`
 * and writes its V8 CPU profiles there).
 */
import { type ChildProcess, execSync, spawn, spawnSync } from "node:child_process";
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

const PREDICT_PATH = "/api/v1/models/fashion-classifier@production:predict";

/** A load test, with the CPU autocannon itself used (this process: it shares the machine's cores). */
function load(title: string, body: string, connections: number, origin = base, duration = DURATION): Promise<autocannon.Result & { clientCpuS: number }> {
  const cpu0 = process.cpuUsage();
  return new Promise((resolveRun, reject) => {
    autocannon({ title, url: `${origin}${PREDICT_PATH}`, method: "POST", headers: { "content-type": "application/json" }, body, connections, duration }, (err, result) => {
      const used = process.cpuUsage(cpu0);
      if (err) reject(err);
      else resolveRun({ ...result, clientCpuS: (used.user + used.system) / 1e6 });
    });
  });
}

const uptime = () => {
  try {
    return execSync("uptime", { encoding: "utf8" }).trim();
  } catch {
    return `load average ${loadavg().map((l) => l.toFixed(2)).join(", ")}`;
  }
};

/**
 * The reference: a plain Node HTTP server in its own process that reads each request's body and
 * answers `answer` (a real predict response, so the same size), nothing else.
 */
const REFERENCE_SERVER = `
const http = require("node:http");
const answer = process.env.ANSWER;
http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(answer) });
    res.end(answer);
  });
}).listen(0, "127.0.0.1", function () { process.send(this.address().port); });
`;

async function referenceServer(answer: string): Promise<{ child: ChildProcess; origin: string }> {
  const child: ChildProcess = spawn(process.execPath, ["-e", REFERENCE_SERVER], { env: { ...process.env, NODE_OPTIONS: "", ANSWER: answer }, stdio: ["ignore", "ignore", "inherit", "ipc"] });
  const port = await new Promise<number>((r, reject) => {
    child.once("message", (p) => r(Number(p)));
    child.once("exit", (code: number | null) => reject(new Error(`the reference server exited (${code})`)));
  });
  return { child, origin: `http://127.0.0.1:${port}` };
}

/** Starts the server as ./studio start does; resolves once the model is loaded. */
async function startServer(extraEnv: Record<string, string>): Promise<{ pid: number; stop(): Promise<void>; meta: { backend: string; backendNote: string; params: number } }> {
  const profileDir = process.env.BENCH_CPU_PROF;
  // Profiling: `next start` itself under node --cpu-prof (not allowed in NODE_OPTIONS).
  const server = profileDir
    ? spawn(process.execPath, ["--cpu-prof", `--cpu-prof-dir=${resolve(profileDir)}`, join(webDir, "node_modules/next/dist/bin/next"), "start"], { cwd: webDir, env: { ...env, PORT: String(PORT), ...extraEnv }, stdio: ["ignore", "ignore", "inherit"], detached: true })
    : spawn("pnpm", ["--filter", "@fmnist/web", "start"], { cwd: repoRoot, env: { ...env, PORT: String(PORT), ...extraEnv }, stdio: ["ignore", "ignore", "inherit"], detached: true });
  const kill = () => {
    try {
      if (server.pid) process.kill(-server.pid, "SIGTERM");
    } catch {}
  };
  process.on("exit", kill);
  // Readiness = the metadata endpoint, which loads the model.
  const meta = (await waitFor(`${base}/api/v1/models/fashion-classifier@production`, 120_000)) as { backend: string; backendNote: string; params: number };
  return {
    pid: server.pid ?? 0,
    meta,
    stop: async () => {
      kill();
      // The port must be free (and a CPU profile written) before the next server starts.
      await new Promise<void>((r) => (server.exitCode !== null || server.signalCode !== null ? r() : server.once("exit", () => r())));
      for (let i = 0; i < 50; i++) {
        try {
          await fetch(base);
          await new Promise((r) => setTimeout(r, 100));
        } catch {
          return;
        }
      }
    },
  };
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
  const test = readDataset(FIXTURE_DIR).test.images;
  const image = (i: number) => Array.from(test.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS), (p) => +(p / 255).toFixed(4));
  const one = JSON.stringify({ instances: [image(0)] });
  const many = JSON.stringify({ instances: Array.from({ length: 256 }, (_, i) => image(i)) });

  type Stats = { batches: number; images: number; rejected: number; maxBatchSeen: number };
  const serverStats = async () => ((await (await fetch(`${base}/api/v1/models/fashion-classifier@production`)).json()) as { serving: Stats }).serving;

  /** Single-image requests at 64 connections against a started server, with its CPU per request. */
  async function singleImage(pid: number) {
    log("warm-up");
    await load("warm-up", one, 64, base, 2);
    const stats0 = await serverStats();
    log(`single-image requests, 64 connections, ${DURATION} s`);
    const up = uptime();
    const cpu0 = cpuSeconds(pid);
    const result = await load("single", one, 64);
    const cpuMs = (1000 * (cpuSeconds(pid) - cpu0)) / Math.max(1, result.requests.total);
    const stats1 = await serverStats();
    const batches = stats1.batches - stats0.batches;
    return { result, cpuMs, up, batches, meanBatch: (stats1.images - stats0.images) / Math.max(1, batches), rejected: stats1.rejected - stats0.rejected };
  }

  let viaNext: Awaited<ReturnType<typeof singleImage>> | null = null;
  if (process.env.BENCH_NEXT_PATH === "1") {
    log(`the same through Next's app router (FMNIST_SERVE_FAST=0) on port ${PORT}`);
    const next = await startServer({ FMNIST_SERVE_FAST: "0" });
    try {
      viaNext = await singleImage(next.pid);
    } finally {
      await next.stop();
    }
  }

  log(`starting the server as ./studio start does (pnpm --filter @fmnist/web start) on port ${PORT}`);
  const server = await startServer({});
  const meta = server.meta;
  let answer = "";
  try {
    log(`server ready: backend ${meta.backend} (${meta.backendNote}), ${meta.params} parameters`);
    answer = await (await fetch(`${base}${PREDICT_PATH}`, { method: "POST", headers: { "content-type": "application/json" }, body: one })).text();
    const fast = await singleImage(server.pid);
    const single = fast.result;
    log(`256-image requests, 8 connections, ${DURATION} s`);
    const cpu1 = cpuSeconds(server.pid);
    const batched = await load("batched", many, 8);
    const batchedCpuMs = (1000 * (cpuSeconds(server.pid) - cpu1)) / Math.max(1, batched.requests.total * 256);
    const upAfter = uptime();
    await server.stop();

    log(`reference: a plain Node HTTP server answering a constant ${answer.length}-byte JSON, same load`);
    const ref = await referenceServer(answer);
    let reference: Awaited<ReturnType<typeof load>>;
    let refCpuMs: number;
    try {
      await load("reference warm-up", one, 64, ref.origin, 2);
      const cpu0 = cpuSeconds(ref.child.pid ?? 0);
      reference = await load("reference", one, 64, ref.origin);
      refCpuMs = (1000 * (cpuSeconds(ref.child.pid ?? 0) - cpu0)) / Math.max(1, reference.requests.total);
    } finally {
      ref.child.kill();
    }

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
    const fastCpu = fast.cpuMs + (1000 * single.clientCpuS) / Math.max(1, single.requests.total);
    const line = (r: Awaited<ReturnType<typeof load>>, serverCpuMs: number) =>
      `${r.requests.average.toFixed(0).padStart(5)} req/s   p50 ${r.latency.p50} ms   p99 ${r.latency.p99} ms   (${r.non2xx} non-2xx, ${r.errors} errors; server CPU ${serverCpuMs.toFixed(3)} ms/req, autocannon CPU ${((1000 * r.clientCpuS) / Math.max(1, r.requests.total)).toFixed(3)} ms/req)`;
    console.log(`
Serving benchmark (${ARCH}, backend ${meta.backend}, ${cpus().length} cores)
  uptime at the single-image run: ${fast.up}
  uptime after the load tests:    ${upAfter}
  single-image JSON, 64 connections (fast path):  ${line(single, fast.cpuMs)}
    batches: ${fast.batches} of ${fast.meanBatch.toFixed(1)} images on average; ${fast.rejected} requests refused with 503${
      viaNext
        ? `
  the same through Next's app router:             ${line(viaNext.result, viaNext.cpuMs)}
    (uptime then: ${viaNext.up})`
        : ""
    }
  reference, plain Node server, constant answer:  ${line(reference, refCpuMs)}
  fast path / reference under the same load: ${((100 * singleRps) / reference.requests.average).toFixed(0)}% of the req/s; CPU per request (server + autocannon) ${fastCpu.toFixed(3)} ms, so at most ~${((cpus().length * 1000) / fastCpu).toFixed(0)} req/s if ${cpus().length} idle cores were all ours (an estimate, not a measurement)
  256-image JSON, 8 connections:      ${batchedIps.toFixed(0)} images/s   (${batched.requests.average.toFixed(1)} req/s, p50 ${batched.latency.p50} ms, p99 ${batched.latency.p99} ms, ${batched.non2xx} non-2xx; server CPU ${batchedCpuMs.toFixed(3)} ms per image)
  in-process predict, batch 256:      ${inProcess.toFixed(0)} images/s   (same model, same backend)
  batched serving / in-process:       ${((100 * batchedIps) / inProcess).toFixed(0)}%
Targets: >= 2000 single-image req/s with p99 <= 50 ms: ${singleRps >= 2000 && single.latency.p99 <= 50 && ok(single) ? "met" : "NOT met"}; batched >= 50% of in-process: ${batchedIps >= inProcess / 2 && ok(batched) ? "met" : "NOT met"}`);
  } finally {
    await server.stop();
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
