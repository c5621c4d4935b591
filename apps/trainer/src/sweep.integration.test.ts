// A sweep shared by several worker processes on one PostgreSQL, with a worker killed mid-trial:
// every trial ends in exactly one final state, none is trained twice, the sweep completes.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TERMINAL_STATUSES } from "@fmnist/db";
import { createDb } from "@fmnist/db/client";
import { failExpiredLeases } from "@fmnist/db/leases";
import { migrate } from "@fmnist/db/migrate";
import { startPostgres } from "@fmnist/db/test-postgres";
import { sweepDefinitionSchema } from "@fmnist/sweep";
import { advanceRunningSweeps, createSweep } from "@fmnist/sweep/advance";
import { afterAll, describe, expect, it } from "vitest";
import { startWorker, waitFor } from "./worker-process.testing";

const tmp = mkdtempSync(join(tmpdir(), "fmnist-sweep-it-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));


describe("a sweep on PostgreSQL", async () => {
  const pg = await startPostgres();
  afterAll(async () => pg?.stop());

  it.skipIf(!pg)("3 workers, 30 tiny trials, one worker killed mid-trial: one final state each, none trained twice, the sweep completes", async () => {
    const url = pg!.url;
    await migrate(url, { log: () => {} });
    const db = createDb(url);
    const sweep = await createSweep(
      db,
      sweepDefinitionSchema.parse({
        name: "pg sweep",
        method: "tpe",
        trialBudget: 30,
        maxConcurrent: 3,
        seed: 5,
        base: { architecture: "tiny-cnn", epochs: 3, patience: 0, maxTrainImages: 40, dataset: "fixture-subset", backend: "wasm" },
        space: { learningRate: { type: "range", min: 1e-4, max: 0.1, scale: "log" }, dropout: { type: "range", min: 0, max: 0.6 } },
        earlyTermination: { type: "asha", minResource: 1, reductionFactor: 3 },
      }),
    );
    const env = { DATABASE_URL: url, ARTIFACTS_DIR: join(tmp, "a") };
    // The doomed worker holds its first trial after epoch 1 (test-hold), so it is surely mid-trial when killed.
    const hold = join(tmp, "hold");
    writeFileSync(hold, "1");
    const doomed = startWorker({ ...env, FMNIST_TEST_HOLD_FILE: hold }, ["--lease", "4", "--id", "doomed"]);
    const held = await waitFor(
      "the doomed worker's trial to record epoch 1",
      () => db.run.findFirst({ where: { sweepId: sweep.id, workerId: "doomed", status: "RUNNING", epochsCompleted: { gte: 1 } } }),
      90_000,
    );
    const workers = [startWorker(env, ["--lease", "4", "--id", "w1"]), startWorker(env, ["--lease", "4", "--id", "w2"])];
    doomed.child.kill("SIGKILL");
    await doomed.exited;
    const started = Date.now();
    await waitFor(
      "the sweep to finish",
      async () => {
        // The web server's lease sweep, as instrumentation.ts runs it.
        await failExpiredLeases(db);
        await advanceRunningSweeps(db);
        return (await db.sweep.findUniqueOrThrow({ where: { id: sweep.id } })).status === "FINISHED";
      },
      240_000,
    );
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    for (const w of workers) w.child.kill("SIGTERM");
    await Promise.all(workers.map((w) => w.exited));

    const trials = await db.run.findMany({ where: { sweepId: sweep.id }, orderBy: { trialNumber: "asc" }, include: { epochs: { select: { epoch: true }, orderBy: { epoch: "asc" } } } });
    // Every trial is final; the killed one FAILED (lease expired) and was replaced, so 30 count.
    expect(trials.every((t) => TERMINAL_STATUSES.includes(t.status))).toBe(true);
    const killed = trials.find((t) => t.id === held.id)!;
    expect(killed.status).toBe("FAILED");
    expect(killed.error).toMatch(/stopped renewing its lease/);
    expect(trials.filter((t) => t.status !== "FAILED")).toHaveLength(30);
    expect(trials.map((t) => t.trialNumber)).toEqual(trials.map((_, i) => i));
    // None trained twice: each run claimed by exactly one worker once (logs), and its epochs recorded once each.
    const claims = [doomed, ...workers].flatMap((w) => [...w.output().matchAll(/run (\S+) \(.*\): claimed/g)].map((m) => m[1]));
    expect(new Set(claims).size).toBe(claims.length);
    expect([...claims].sort()).toEqual(trials.map((t) => t.id).sort());
    for (const t of trials) expect(t.epochs.map((e) => e.epoch)).toEqual(Array.from({ length: t.epochs.length }, (_, i) => i + 1));
    const pruned = trials.filter((t) => t.status === "PRUNED");
    expect(pruned.every((t) => t.epochsCompleted < 3 && t.epochs.length === t.epochsCompleted)).toBe(true);
    console.log(
      `PostgreSQL sweep: ${trials.length} trials (${trials.filter((t) => t.status === "SUCCEEDED").length} succeeded, ${pruned.length} pruned, 1 failed with its worker), finished ${seconds} s after the kill`,
    );
    await db.$disconnect();
  }, 400_000);
});
