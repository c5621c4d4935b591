import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { FIXTURE_DIR } from "@fmnist/data";
import { createDb, type Db } from "@fmnist/db/client";
import { failExpiredLeases } from "@fmnist/db/leases";
import { migrate } from "@fmnist/db/migrate";
import { startPostgres } from "@fmnist/db/test-postgres";
import { trainConfigSchema } from "@fmnist/model";
import { afterAll, describe, expect, it } from "vitest";
import { runWorker } from "./worker";
import { startWorker, waitFor } from "./worker-process.testing";

const tmp = mkdtempSync(join(tmpdir(), "fmnist-worker-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const cli = fileURLToPath(new URL("./cli.ts", import.meta.url));

function queue(db: Db, name: string, over: Record<string, unknown> = {}) {
  const config = trainConfigSchema.parse({
    name,
    architecture: "tiny-cnn",
    epochs: 1,
    patience: 0,
    maxTrainImages: 100,
    dataset: "fixture-subset",
    backend: "wasm",
    ...over,
  });
  return db.run.create({
    data: { name, architecture: config.architecture, config, seed: config.seed, status: "QUEUED", epochsPlanned: config.epochs },
  });
}


describe("worker on SQLite", () => {
  it("takes queued runs one at a time until the queue is empty", async () => {
    const url = `file:${join(tmp, "queue.db")}`;
    await migrate(url);
    const db = createDb(url);
    const runs = [await queue(db, "q1"), await queue(db, "q2")];
    const processed = await runWorker({ db, workerId: "test-worker", exitWhenIdle: true, artifactsDir: join(tmp, "a"), log: () => {} });
    expect(processed).toBe(2);
    for (const r of runs) {
      const after = await db.run.findUniqueOrThrow({ where: { id: r.id } });
      expect(after.status).toBe("SUCCEEDED");
      expect(after.workerId).toBe("test-worker");
    }
    await db.$disconnect();
  }, 60_000);

  it("a re-queued run (config already names the dataset directory it read) trains again", async () => {
    const url = `file:${join(tmp, "requeued.db")}`;
    await migrate(url);
    const db = createDb(url);
    const run = await queue(db, "re-queued");
    // What train() records once it has loaded the data, left in place by requeue() on SIGTERM.
    const recorded = { ...(run.config as object), dataset: { dir: "/somewhere/fashion-mnist-small", source: "explicit", subset: "fixture" } };
    await db.run.update({ where: { id: run.id }, data: { config: recorded } });
    expect(await runWorker({ db, workerId: "w", exitWhenIdle: true, artifactsDir: join(tmp, "a"), log: () => {} })).toBe(1);
    const after = await db.run.findUniqueOrThrow({ where: { id: run.id } });
    expect(after.error).toBeNull();
    expect(after.status).toBe("SUCCEEDED");
    await db.$disconnect();
  }, 60_000);

  it("a live worker keeps its lease through every epoch, while others sweep expired leases", async () => {
    const url = `file:${join(tmp, "live.db")}`;
    await migrate(url);
    const db = createDb(url);
    const run = await queue(db, "kept alive", { architecture: "mlp", epochs: 6, maxTrainImages: 2000 });
    const w = startWorker({ DATABASE_URL: url, ARTIFACTS_DIR: join(tmp, "a") }, ["--lease", "2", "--exit-when-idle"]);
    // What the web app's reads and other workers do all the time.
    let minLeftMs = Number.POSITIVE_INFINITY;
    while (w.child.exitCode === null) {
      await failExpiredLeases(db);
      const r = await db.run.findUniqueOrThrow({ where: { id: run.id } });
      if (r.status === "RUNNING" && r.leaseExpiresAt) minLeftMs = Math.min(minLeftMs, r.leaseExpiresAt.getTime() - Date.now());
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await w.exited).toBe(0);
    const after = await db.run.findUniqueOrThrow({ where: { id: run.id } });
    expect(after.error).toBeNull();
    expect(after.status).toBe("SUCCEEDED");
    expect(minLeftMs).toBeGreaterThan(0);
    console.log(`live lease: at least ${minLeftMs} ms of the 2 s lease left at every look while training`);
    await db.$disconnect();
  }, 90_000);

  it("a worker killed with SIGKILL mid-run: the run leaves RUNNING once its lease expires, epochs kept", async () => {
    const url = `file:${join(tmp, "kill.db")}`;
    await migrate(url);
    const db = createDb(url);
    const run = await queue(db, "to be killed", { architecture: "mlp", epochs: 50, maxTrainImages: 2000 });
    const w = startWorker({ DATABASE_URL: url, ARTIFACTS_DIR: join(tmp, "a") }, ["--lease", "2"]);
    await waitFor("an epoch to be recorded", async () => {
      const r = await db.run.findUniqueOrThrow({ where: { id: run.id } });
      return r.status === "RUNNING" && r.epochsCompleted >= 1;
    }, 60_000);
    w.child.kill("SIGKILL");
    await w.exited;
    const killedAt = Date.now();
    expect((await db.run.findUniqueOrThrow({ where: { id: run.id } })).status).toBe("RUNNING");
    const failed = await waitFor("the lease to expire", async () => {
      const ids = await failExpiredLeases(db);
      return ids.includes(run.id) && ids;
    }, 10_000);
    expect(failed).toContain(run.id);
    const after = await db.run.findUniqueOrThrow({ where: { id: run.id }, include: { epochs: true } });
    expect(after.status).toBe("FAILED");
    expect(after.error).toMatch(/stopped renewing its lease.*killed or crashed/);
    expect(after.epochs.length).toBeGreaterThanOrEqual(1);
    console.log(`SIGKILL test: run left RUNNING ${Date.now() - killedAt} ms after the kill (lease 2 s), ${after.epochs.length} epoch(s) kept`);
    await db.$disconnect();
  }, 90_000);
});

describe("pnpm train (CLI) holds a lease too", () => {
  it("a CLI run killed with SIGKILL leaves RUNNING once its lease expires", async () => {
    const url = `file:${join(tmp, "cli-kill.db")}`;
    await migrate(url);
    const db = createDb(url);
    const child = spawn(
      process.execPath,
      ["--import", "tsx", cli, "train", "--data-dir", FIXTURE_DIR, "--architecture", "mlp", "--epochs", "50", "--patience", "0", "--name", "cli run"],
      { env: { ...process.env, DATABASE_URL: url, ARTIFACTS_DIR: join(tmp, "a"), FMNIST_LEASE_MS: "2000" }, stdio: "ignore" },
    );
    const exited = new Promise((r) => child.on("exit", r));
    const run = await waitFor("an epoch of the CLI run", async () => {
      const r = await db.run.findFirst({ where: { name: "cli run" } });
      return r && r.epochsCompleted >= 1 && r;
    }, 60_000);
    expect(run.workerId).toMatch(/^cli /);
    child.kill("SIGKILL");
    await exited;
    await waitFor("the lease to expire", async () => (await failExpiredLeases(db)).includes(run.id), 10_000);
    const after = await db.run.findUniqueOrThrow({ where: { id: run.id } });
    expect(after.status).toBe("FAILED");
    expect(after.error).toMatch(/killed or crashed/);
    await db.$disconnect();
  }, 90_000);
});

describe("worker race on a real PostgreSQL", async () => {
  const pg = await startPostgres();
  afterAll(async () => pg?.stop());

  it.skipIf(!pg)("4 worker processes over 100 queued tiny runs: every run claimed exactly once", async () => {
    const url = pg!.url;
    await migrate(url);
    const db = createDb(url);
    const ids = new Set<string>();
    for (let i = 0; i < 100; i++) ids.add((await queue(db, `race ${i}`, { maxTrainImages: 20, seed: i })).id);
    const started = Date.now();
    const workers = Array.from({ length: 4 }, (_, i) =>
      startWorker({ DATABASE_URL: url, ARTIFACTS_DIR: join(tmp, "race") }, ["--exit-when-idle", "--id", `w${i}`]),
    );
    const codes = await Promise.all(workers.map((w) => w.exited));
    expect(codes).toEqual([0, 0, 0, 0]);
    const claims = workers.flatMap((w, i) => [...w.output().matchAll(/run (\S+) \(.*\): claimed/g)].map((m) => ({ id: m[1], worker: `w${i}` })));
    const perRun = new Map<string, number>();
    for (const c of claims) perRun.set(c.id, (perRun.get(c.id) ?? 0) + 1);
    expect(claims).toHaveLength(100);
    expect([...perRun.keys()].sort()).toEqual([...ids].sort());
    expect([...perRun.values()].every((n) => n === 1)).toBe(true);
    const rows = await db.run.findMany({ select: { status: true, workerId: true, error: true } });
    // Every run SUCCEEDED; any that did not is shown with its error.
    expect(rows.filter((r) => r.status !== "SUCCEEDED").map((r) => `${r.status}: ${r.error}`)).toEqual([]);
    expect(rows.filter((r) => r.status === "SUCCEEDED")).toHaveLength(100);
    const perWorker = workers.map((_, i) => claims.filter((c) => c.worker === `w${i}`).length);
    console.log(`PostgreSQL race: 100 runs, claims per worker ${perWorker.join("/")}, ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await db.$disconnect();
  }, 300_000);
});
