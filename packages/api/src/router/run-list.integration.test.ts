import { createDb } from "@fmnist/db/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, failure, insertRun, postgresAvailable, type TestDb, type TestDialect } from "../../test/db";
import type { ListRunsInput } from "../schemas";

// Sorting and filtering by any hyper-parameter goes through RunParam with ordinary Prisma queries:
// the same queries must give the same rows in the same order on SQLite and PostgreSQL.
const dialects: TestDialect[] = postgresAvailable ? ["sqlite", "postgres"] : ["sqlite"];
const dbs = {} as Record<TestDialect, TestDb>;
let sweepId: Record<TestDialect, string>;

const seeds = [
  { name: "a", batchSize: 128, learningRate: 0.001, tags: ["baseline"] },
  { name: "b", batchSize: 32, learningRate: 0.01, tags: ["lr", "baseline"] },
  { name: "c", batchSize: 64, learningRate: 0.003, tags: [] },
  { name: "d", batchSize: 64, learningRate: 0.0005, tags: ["lr"], trial: 0 },
  { name: "e", batchSize: 16, learningRate: 0.1, tags: [], trial: 1 },
  { name: "f", batchSize: 256, learningRate: 0.003, tags: [] },
];

beforeAll(async () => {
  sweepId = {} as Record<TestDialect, string>;
  const base = Date.parse("2026-11-01T10:00:00Z");
  for (const dialect of dialects) {
    const t = await createTestDb(dialect);
    dbs[dialect] = t;
    const sweep = await t.db.sweep.create({ data: { name: "lr", definition: {}, method: "grid", objective: "val_accuracy", trialBudget: 2, maxConcurrent: 1 } });
    sweepId[dialect] = sweep.id;
    for (const [i, s] of seeds.entries()) {
      const id = await insertRun(t.db, { name: s.name, batchSize: s.batchSize, learningRate: s.learningRate, createdAt: new Date(base + i * 60_000) });
      await t.db.run.update({
        where: { id },
        data: { tags: { create: s.tags.map((tag) => ({ tag })) }, ...(s.trial !== undefined ? { sweepId: sweep.id, trialNumber: s.trial } : {}) },
      });
    }
    // An imported model: no hyper-parameters at all, so it comes last in any param sort.
    await t.db.run.create({
      data: { name: "imported", kind: "imported", architecture: "imported", config: { name: "imported" }, seed: 0, status: "SUCCEEDED", epochsPlanned: 0, createdAt: new Date(base + 10 * 60_000) },
    });
  }
}, 120_000);
afterAll(async () => {
  for (const t of Object.values(dbs)) await t.close();
});

async function namesOn(dialect: TestDialect, input: ListRunsInput | ((d: TestDialect) => ListRunsInput)) {
  const r = await dbs[dialect].api.runs.list(typeof input === "function" ? input(dialect) : input);
  return r.items.map((i) => i.name);
}

/** The names on every database, checked equal across them; returns them once. */
async function names(input: ListRunsInput | ((d: TestDialect) => ListRunsInput)) {
  const all = await Promise.all(dialects.map((d) => namesOn(d, input)));
  for (const other of all.slice(1)) expect(other).toEqual(all[0]);
  return all[0];
}

describe(`runs.list on ${dialects.join(" and ")}`, () => {
  it("sorts by batch size and learning rate both ways: ties newest first, runs without the param last", async () => {
    expect(await names({ sort: { column: "batchSize", direction: "asc" } })).toEqual(["e", "b", "d", "c", "a", "f", "imported"]);
    expect(await names({ sort: { column: "batchSize", direction: "desc" } })).toEqual(["f", "a", "d", "c", "b", "e", "imported"]);
    expect(await names({ sort: { column: "learningRate", direction: "asc" } })).toEqual(["d", "a", "f", "c", "b", "e", "imported"]);
    expect(await names({ sort: { column: "param:learningRate", direction: "desc" } })).toEqual(["e", "b", "f", "c", "a", "d", "imported"]);
    // Any config field: the seeds differ only in name, so the order is newest first.
    expect(await names({ sort: { column: "param:dropout", direction: "asc" } })).toEqual(["f", "e", "d", "c", "b", "a", "imported"]);
    // A text parameter sorts on its text (the other branch of the query).
    expect(await names({ sort: { column: "param:architecture", direction: "desc" } })).toEqual(["f", "e", "d", "c", "b", "a", "imported"]);
  });

  it("pages through a param sort across the runs with and without the param", async () => {
    const pages: string[] = [];
    for (const cursor of [0, 3, 6]) pages.push(...(await names({ limit: 3, cursor, sort: { column: "batchSize", direction: "asc" } })));
    expect(pages).toEqual(["e", "b", "d", "c", "a", "f", "imported"]);
    const last = await dbs.sqlite.api.runs.list({ limit: 3, cursor: 6, sort: { column: "batchSize", direction: "asc" } });
    expect(last).toMatchObject({ total: 7, nextCursor: null });
  });

  it("filters by parameter ranges, tags (any of) and sweep, combined with a sort", async () => {
    const lr = (op: "lt" | "lte" | "gt" | "gte" | "eq", value: number) => ({ key: "learningRate", op, value });
    expect(await names({ params: [lr("gte", 0.003)], sort: { column: "learningRate", direction: "asc" } })).toEqual(["f", "c", "b", "e"]);
    expect(await names({ params: [lr("gte", 0.003), { key: "batchSize", op: "lte", value: 64 }], sort: { column: "batchSize", direction: "desc" } })).toEqual(["c", "b", "e"]);
    expect(await names({ params: [{ key: "batchSize", value: 64 }] })).toEqual(["d", "c"]);
    expect(await names({ params: [{ key: "architecture", value: "tiny-cnn" }, lr("lt", 0.001)] })).toEqual(["d"]);
    expect(await names({ tags: ["lr"], sort: { column: "name", direction: "asc" } })).toEqual(["b", "d"]);
    expect(await names({ tags: ["lr", "baseline"], sort: { column: "name", direction: "asc" } })).toEqual(["a", "b", "d"]);
    expect(await names((d) => ({ sweepId: sweepId[d], sort: { column: "learningRate", direction: "asc" } }))).toEqual(["d", "e"]);
    expect(await names({ tags: ["nobody"] })).toEqual([]);
    const row = (await dbs.sqlite.api.runs.list({ search: "b" })).items[0];
    expect(row).toMatchObject({ name: "b", tags: ["baseline", "lr"], batchSize: 32, learningRate: 0.01, note: null });
  });

  it("refuses a bad filter or sort key with BAD_REQUEST", async () => {
    const api = dbs.sqlite.api;
    const bad: unknown[] = [
      { sort: { column: "param:", direction: "asc" } },
      { sort: { column: "param:a b", direction: "asc" } },
      { sort: { column: "config->>'x'", direction: "asc" } },
      { params: [{ key: "learningRate; DROP", value: 1 }] },
      { params: [{ key: "optimizer", op: "gt", value: "adam" }] },
      { params: [{ key: "learningRate", value: Number.NaN }] },
      { tags: ["a,b"] },
      { tags: [""] },
    ];
    for (const input of bad) expect((await failure(() => api.runs.list(input as ListRunsInput))).code).toBe("BAD_REQUEST");
  });

  it("tags and the note: set, replaced, cleared, shown in the list; an unknown run is NOT_FOUND", async () => {
    for (const d of dialects) {
      const { api } = dbs[d];
      const id = (await api.runs.list({ search: "c" })).items[0].id;
      expect(await api.runs.setTags({ id, tags: [" paper ", "best", "paper"] })).toEqual({ id, tags: ["best", "paper"] });
      expect(await api.runs.setNote({ id, note: "  the one in the report\n" })).toEqual({ id, note: "the one in the report" });
      expect((await api.runs.list({ tags: ["paper"] })).items.map((r) => [r.name, r.tags, r.note])).toEqual([["c", ["best", "paper"], "the one in the report"]]);
      expect((await api.runs.byId({ id })).tags).toEqual(["best", "paper"]);
      await api.runs.setTags({ id, tags: [] });
      await api.runs.setNote({ id, note: "" });
      expect(await dbs[d].db.run.findUniqueOrThrow({ where: { id }, select: { note: true, tags: true } })).toEqual({ note: null, tags: [] });
      expect((await failure(() => api.runs.setTags({ id: "ghost", tags: ["x"] }))).code).toBe("NOT_FOUND");
      expect((await failure(() => api.runs.setNote({ id: "ghost", note: "x" }))).code).toBe("NOT_FOUND");
      const tooMany = Array.from({ length: 21 }, (_, i) => `t${i}`);
      expect((await failure(() => api.runs.setTags({ id, tags: tooMany }))).code).toBe("BAD_REQUEST");
      expect((await failure(() => api.runs.setNote({ id, note: "x".repeat(2001) }))).code).toBe("BAD_REQUEST");
      expect(await dbs[d].db.runTag.count({ where: { runId: id } })).toBe(0);
    }
  });

  it("a list query writes nothing", async () => {
    const t = dbs.sqlite;
    // SQLite's data_version changes on this connection whenever another one commits a write.
    const probe = createDb(t.url);
    try {
      const version = async () => Number((await probe.$queryRawUnsafe<{ data_version: number | bigint }[]>("PRAGMA data_version"))[0].data_version);
      const before = await version();
      await t.api.runs.list();
      await t.api.runs.list({ sort: { column: "param:learningRate", direction: "desc" }, params: [{ key: "batchSize", op: "gte", value: 32 }], tags: ["lr"], search: "%" });
      await t.api.runs.facets();
      expect(await version()).toBe(before);
      // The probe does see a write, so the check above can fail.
      await t.db.run.updateMany({ where: { name: "a" }, data: { note: "written" } });
      expect(await version()).not.toBe(before);
    } finally {
      await probe.$disconnect();
    }
  });
});
