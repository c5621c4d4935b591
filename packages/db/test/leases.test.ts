import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "../src/client";
import { failExpiredLeases } from "../src/leases";
import { migrate } from "../src/migrate";
import type { RunStatus } from "../src/status";
import { tempSqlite } from "./helpers";

const sqlite = tempSqlite();
let db: Db;
beforeAll(async () => {
  await migrate(sqlite.url, { log: () => {} });
  db = createDb(sqlite.url);
});
afterAll(async () => {
  await db.$disconnect();
  sqlite.cleanup();
});

const run = (name: string, status: RunStatus, leaseExpiresAt: Date | null) =>
  db.run.create({
    data: { name, architecture: "mlp", config: {}, seed: 1, status, epochsPlanned: 5, epochsCompleted: 2, workerId: "host:1", leaseExpiresAt },
  });

describe("failExpiredLeases", () => {
  it("fails RUNNING runs past their lease, with the reason, and nothing else", async () => {
    const now = new Date();
    const expired = await run("expired", "RUNNING", new Date(now.getTime() - 1000));
    const live = await run("live", "RUNNING", new Date(now.getTime() + 60_000));
    const cli = await run("cli run without lease", "RUNNING", null);
    const done = await run("done", "SUCCEEDED", new Date(now.getTime() - 1000));

    expect(await failExpiredLeases(db, now)).toEqual([expired.id]);
    const after = await db.run.findUniqueOrThrow({ where: { id: expired.id } });
    expect(after.status).toBe("FAILED");
    expect(after.finishedAt).toEqual(now);
    expect(after.error).toMatch(/worker host:1 stopped renewing its lease .*2 epoch\(s\) were recorded/);
    for (const [r, status] of [[live, "RUNNING"], [cli, "RUNNING"], [done, "SUCCEEDED"]] as const) {
      expect((await db.run.findUniqueOrThrow({ where: { id: r.id } })).status).toBe(status);
    }
    // A second look finds nothing left to do.
    expect(await failExpiredLeases(db, now)).toEqual([]);
  });
});
