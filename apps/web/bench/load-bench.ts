// HTTP load on the production server: 10,000 seeded runs, 50 concurrent clients polling the
// experiments list and a run page (autocannon), as many dashboards left open would.
// Usage: pnpm --filter @fmnist/web bench [--runs 10000] [--connections 50] [--duration 20] [--port 3299]
// Needs a production build (`pnpm --filter @fmnist/web build`); builds one when none exists.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { seed } from "@fmnist/api/bench/seed";
import { createDb } from "@fmnist/db/client";
import { migrate } from "@fmnist/db/migrate";
import autocannon from "autocannon";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const RUNS = arg("runs", 10_000);
const CONNECTIONS = arg("connections", 50);
const DURATION_S = arg("duration", 20);
const PORT = arg("port", 3299);
const TARGET_P95_MS = 100;
const TARGET_RPS = 500;

const webDir = resolve(import.meta.dirname, "..");
const base = `http://127.0.0.1:${PORT}`;
const trpcGet = (path: string, json: unknown) => `/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json }))}`;

const round = (ms: number) => Math.round(ms * 10) / 10;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** CPU seconds (user + system) used so far by every process of a process group: the server's own
 * cost per request, which the machine's other load does not change. */
function groupCpuSeconds(pgid: number): number {
  const tick = 100; // USER_HZ on Linux
  let total = 0;
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // After "(comm)": state ppid pgrp ... utime(14th) stime(15th) counting from pid as 1st.
      if (Number(fields[2]) !== pgid) continue;
      total += (Number(fields[11]) + Number(fields[12])) / tick;
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

async function waitForServer(deadlineMs: number) {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    try {
      if ((await fetch(`${base}/icon.svg`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the server did not answer on ${base} within ${deadlineMs / 1000} s`);
}

async function main() {
  if (!existsSync(join(webDir, ".next/BUILD_ID"))) {
    console.log("no production build: running next build");
    const b = spawnSync("pnpm", ["exec", "next", "build"], { cwd: webDir, stdio: "inherit" });
    if (b.status !== 0) throw new Error("next build failed");
  }
  const dir = mkdtempSync(join(tmpdir(), "fmnist-load-"));
  const url = `file:${join(dir, "load.db")}`;
  await migrate(url, { log: () => {} });
  const db = createDb(url);
  const t0 = performance.now();
  await seed(db, { runs: RUNS, epochs: 20, withMisclassified: 0 });
  const runId = (await db.run.findFirstOrThrow({ where: { status: "SUCCEEDED" }, orderBy: { createdAt: "desc" }, select: { id: true } })).id;
  await db.$disconnect();
  console.log(`seeded ${RUNS.toLocaleString("en")} runs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const server = spawn("pnpm", ["exec", "next", "start", "-H", "127.0.0.1", "-p", String(PORT)], {
    cwd: webDir,
    env: { ...process.env, DATABASE_URL: url, ARTIFACTS_DIR: join(dir, "artifacts"), NEXT_TELEMETRY_DISABLED: "1" },
    stdio: ["ignore", "ignore", "inherit"],
    detached: true,
  });
  try {
    await waitForServer(60_000);
    // What an open experiments page and an open run page poll (the list's first page as the page
    // asks for it, newest first).
    const requests = [
      { method: "GET" as const, path: trpcGet("runs.list", { limit: 25, cursor: 0, sort: { column: "createdAt", direction: "desc" } }) },
      { method: "GET" as const, path: trpcGet("runs.byId", { id: runId }) },
    ];
    for (const r of requests) {
      const res = await fetch(base + r.path);
      if (!res.ok) throw new Error(`${r.path} -> ${res.status}: ${(await res.text()).slice(0, 300)}`);
    }
    // Warm-up: JIT, statement caches.
    await autocannon({ url: base, connections: 10, duration: 3, requests });

    const latencies: number[] = [];
    const cpuBefore = groupCpuSeconds(server.pid as number);
    const result = await new Promise<autocannon.Result>((done, fail) => {
      const instance = autocannon({ url: base, connections: CONNECTIONS, duration: DURATION_S, requests }, (err, res) => (err ? fail(err) : done(res)));
      // Every response's time, for exact percentiles (autocannon's summary has p90 and p97.5, no p95).
      instance.on("response", (_client, _status, _bytes, ms) => latencies.push(ms));
    });
    const cpuMsPerRequest = ((groupCpuSeconds(server.pid as number) - cpuBefore) * 1000) / Math.max(1, result.requests.total);
    latencies.sort((a, b) => a - b);
    const rps = result.requests.total / (result.duration || DURATION_S);
    const p95 = percentile(latencies, 95);
    const figures = {
      runs: RUNS,
      connections: CONNECTIONS,
      seconds: result.duration,
      requests: result.requests.total,
      "requests/s": Math.round(rps),
      "p50 ms": round(percentile(latencies, 50)),
      "p95 ms": round(p95),
      "p99 ms": round(percentile(latencies, 99)),
      "max ms": round(latencies[latencies.length - 1]),
      "non-2xx": result.non2xx,
      errors: result.errors + result.timeouts,
      "KB/request": Math.round(result.throughput.total / Math.max(1, result.requests.total) / 1024),
      "server CPU ms/request": round(cpuMsPerRequest),
    };
    console.table([figures]);
    const ok = p95 <= TARGET_P95_MS && rps >= TARGET_RPS && result.non2xx === 0 && result.errors === 0;
    // What one core could serve at that cost, whatever else the machine is running.
    console.log(`server CPU: ${round(cpuMsPerRequest)} ms per request = ${Math.round(1000 / cpuMsPerRequest)} requests/s per core (machine load average ${loadavg()[0].toFixed(1)})`);
    console.log(`target p95 <= ${TARGET_P95_MS} ms and >= ${TARGET_RPS} requests/s: ${ok ? "met" : "missed"}`);
    if (!ok) process.exitCode = 1;
  } finally {
    if (server.pid) process.kill(-server.pid, "SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
