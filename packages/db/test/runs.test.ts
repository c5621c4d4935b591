import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "../src/client";
import { migrate } from "../src/migrate";
import { runParamRows } from "../src/run-params";
import { createRun } from "../src/runs";
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

const config = { name: "lr probe", architecture: "mlp", seed: 7, epochs: 3, learningRate: 0.003, augmentFlip: true, optimizer: "adamw", nested: { a: 1 } };

describe("runParamRows", () => {
  it("keeps scalars (booleans as 0/1), skips the name and objects", () => {
    expect(runParamRows(config)).toEqual([
      { key: "architecture", numValue: null, textValue: "mlp" },
      { key: "seed", numValue: 7, textValue: null },
      { key: "epochs", numValue: 3, textValue: null },
      { key: "learningRate", numValue: 0.003, textValue: null },
      { key: "augmentFlip", numValue: 1, textValue: null },
      { key: "optimizer", numValue: null, textValue: "adamw" },
    ]);
    expect(runParamRows(null)).toEqual([]);
    expect(runParamRows([1, 2])).toEqual([]);
  });
});

describe("createRun", () => {
  it("stores the config unchanged with its params and tags, and a trial number once per sweep", async () => {
    const run = await createRun(db, { config, status: "QUEUED", tags: ["baseline", "baseline", "lr"] }, { id: true, status: true, config: true, epochsPlanned: true });
    expect(run.status).toBe("QUEUED");
    expect(run.config).toEqual(config);
    expect(run.epochsPlanned).toBe(3);
    const params = await db.runParam.findMany({ where: { runId: run.id }, orderBy: { key: "asc" } });
    expect(params.map((p) => p.key)).toEqual(["architecture", "augmentFlip", "epochs", "learningRate", "optimizer", "seed"]);
    const tags = await db.runTag.findMany({ where: { runId: run.id }, orderBy: { tag: "asc" } });
    expect(tags.map((t) => t.tag)).toEqual(["baseline", "lr"]);
    // Filter by any param with an ordinary Prisma query.
    const found = await db.run.findMany({ where: { params: { some: { key: "learningRate", numValue: { gt: 0.002 } } } }, select: { id: true } });
    expect(found.map((r) => r.id)).toEqual([run.id]);

    const sweep = await db.sweep.create({ data: { name: "s", definition: {}, method: "random", objective: "val_accuracy", trialBudget: 2, maxConcurrent: 1 } });
    await createRun(db, { config, status: "QUEUED", sweepId: sweep.id, trialNumber: 0 });
    await expect(createRun(db, { config, status: "QUEUED", sweepId: sweep.id, trialNumber: 0 })).rejects.toThrow();
    expect(await db.run.count({ where: { sweepId: sweep.id } })).toBe(1);
  });
});
