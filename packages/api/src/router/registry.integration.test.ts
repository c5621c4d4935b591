import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, failure, insertRun, postgresAvailable, type TestDb, type TestDialect } from "../../test/db";
import { createCaller, createTRPCContext, onRegistryChange, type RegistryChange } from "../index";

// The registry on real migrated databases: SQLite, and PostgreSQL where one can be had.
describe.each<TestDialect>(["sqlite", "postgres"])("%s", (dialect) => {
  describe.skipIf(dialect === "postgres" && !postgresAvailable)("model registry", () => {
    suite(dialect);
  });
});

function suite(dialect: TestDialect) {
  let t: TestDb;
  const runs: Record<string, string> = {};

  async function withModel(name: string, testAccuracy: number, status = "SUCCEEDED") {
    const id = await insertRun(t.db, { name, testAccuracy, status });
    await t.db.artifact.createMany({
      data: [
        { runId: id, kind: "tfjs-layers-model", path: `runs/${id}/model.json`, sizeBytes: 1000 },
        { runId: id, kind: "tfjs-weights", path: `runs/${id}/weights.bin`, sizeBytes: 9000 },
      ],
    });
    runs[name] = id;
  }

  /** Rows of every registry table: a refused change must leave them as they were. */
  async function snapshot() {
    const [models, versions, aliases, events, runCount] = await Promise.all([
      t.db.registeredModel.findMany({ orderBy: { name: "asc" } }),
      t.db.modelVersion.findMany({ orderBy: { id: "asc" } }),
      t.db.modelAlias.findMany({ orderBy: { id: "asc" } }),
      t.db.aliasEvent.findMany({ orderBy: { id: "asc" } }),
      t.db.run.count(),
    ]);
    return { models, versions, aliases, events, runCount };
  }

  beforeAll(async () => {
    t = await createTestDb(dialect);
    await withModel("first", 0.81);
    await withModel("second", 0.87);
    await withModel("third", 0.9);
    await withModel("cancelled", 0.5, "CANCELLED");
    runs["no model"] = await insertRun(t.db, { name: "no model", testAccuracy: 0.99 });
  });
  afterAll(() => t.close());

  describe("registry: versions", () => {
    it("numbers versions 1, 2, ... per model, with source run, accuracy and size", async () => {
      const v1 = await t.api.registry.register({ runId: runs.first, name: "fashion-classifier" });
      const v2 = await t.api.registry.register({ runId: runs.second, name: "fashion-classifier", description: "more epochs" });
      const other = await t.api.registry.register({ runId: runs.first, name: "other-model" });
      expect([v1.version, v2.version, other.version]).toEqual([1, 2, 1]);
      expect(v2).toMatchObject({ runId: runs.second, testAccuracy: 0.87, sizeBytes: 10_000 });
      const model = await t.api.registry.byName({ name: "fashion-classifier" });
      expect(model.versions.map((v) => [v.version, v.run.name, v.description])).toEqual([
        [2, "second", "more epochs"],
        [1, "first", null],
      ]);
    });

    it("numbers concurrent registrations without duplicates", async () => {
      const made = await Promise.all([runs.first, runs.second, runs.third].map((runId) => t.api.registry.register({ runId, name: "race" })));
      expect(made.map((v) => v.version).sort()).toEqual([1, 2, 3]);
    });
  });

  describe("registry: aliases", () => {
    it("sets, moves and removes an alias, recording each move", async () => {
      await t.api.registry.register({ runId: runs.third, name: "fashion-classifier" }); // v3
      expect(await t.api.registry.setAlias({ name: "fashion-classifier", alias: "production", version: 1 })).toMatchObject({ changed: true, fromVersion: null });
      expect(await t.api.registry.setAlias({ name: "fashion-classifier", alias: "production", version: 3 })).toMatchObject({ changed: true, fromVersion: 1 });
      // The same target again: nothing changes, nothing recorded.
      expect(await t.api.registry.setAlias({ name: "fashion-classifier", alias: "production", version: 3 })).toMatchObject({ changed: false });
      await t.api.registry.setAlias({ name: "fashion-classifier", alias: "staging", version: 2 });
      await t.api.registry.removeAlias({ name: "fashion-classifier", alias: "staging" });

      const model = await t.api.registry.byName({ name: "fashion-classifier" });
      expect(model.aliases.map((a) => [a.alias, a.version])).toEqual([["production", 3]]);
      expect(model.versions.find((v) => v.version === 3)?.aliases).toEqual(["production"]);
      expect(model.history.map((e) => [e.alias, e.fromVersion, e.toVersion]).reverse()).toEqual([
        ["production", null, 1],
        ["production", 1, 3],
        ["staging", null, 2],
        ["staging", 2, null],
      ]);
      const resolved = await t.api.registry.resolve({ name: "fashion-classifier", alias: "production" });
      expect(resolved).toMatchObject({ version: 3, alias: "production", modelPath: `runs/${runs.third}/model.json`, sourceRun: { id: runs.third, name: "third" } });
      const list = await t.api.registry.list();
      expect(list.find((m) => m.name === "fashion-classifier")?.aliases).toEqual([expect.objectContaining({ alias: "production", version: 3 })]);
    });

    it("tells in-process listeners (the model server) when an alias moves", async () => {
      const seen: RegistryChange[] = [];
      const off = onRegistryChange((c) => seen.push(c));
      await t.api.registry.setAlias({ name: "fashion-classifier", alias: "production", version: 2 });
      await t.api.registry.setAlias({ name: "fashion-classifier", alias: "production", version: 3 });
      off();
      expect(seen).toEqual([
        { name: "fashion-classifier", kind: "alias-set" },
        { name: "fashion-classifier", kind: "alias-set" },
      ]);
    });

    it("deletes a version no alias points at", async () => {
      await t.api.registry.register({ runId: runs.second, name: "fashion-classifier" }); // v4
      await t.api.registry.deleteVersion({ name: "fashion-classifier", version: 4 });
      const model = await t.api.registry.byName({ name: "fashion-classifier" });
      expect(model.versions.map((v) => v.version)).toEqual([3, 2, 1]);
    });
  });

  // Each refused change: a 4xx code with a message a person can act on, and not one row changed.
  const refused: [string, (api: TestDb["api"]) => Promise<unknown>, string, RegExp][] = [
    ["delete a version an alias points at", (api) => api.registry.deleteVersion({ name: "fashion-classifier", version: 3 }), "CONFLICT", /Version 3 of "fashion-classifier" is what @production points at; move or remove that alias first/],
    ["delete a run that has a registered version", (api) => api.runs.delete({ id: runs.first }), "CONFLICT", /Run "first" is registered as fashion-classifier v1, other-model v1, race v\d; delete those versions in the model registry first/],
    ["register an unknown run", (api) => api.registry.register({ runId: "ghost", name: "fashion-classifier" }), "NOT_FOUND", /No run with id "ghost"/],
    ["register a run without a model", (api) => api.registry.register({ runId: runs["no model"], name: "fashion-classifier" }), "BAD_REQUEST", /has no exported model/],
    ["register a cancelled run", (api) => api.registry.register({ runId: runs.cancelled, name: "fashion-classifier" }), "BAD_REQUEST", /is cancelled; only succeeded runs/],
    ["model name with @", (api) => api.registry.register({ runId: runs.first, name: "a@b" }), "BAD_REQUEST", /name: model name: lower-case/],
    ["model name upper case", (api) => api.registry.register({ runId: runs.first, name: "Fashion" }), "BAD_REQUEST", /name: model name/],
    ["empty model name", (api) => api.registry.register({ runId: runs.first, name: "" }), "BAD_REQUEST", /model name is required/],
    ["alias starting with a digit", (api) => api.registry.setAlias({ name: "fashion-classifier", alias: "2", version: 1 }), "BAD_REQUEST", /alias: alias: lower-case/],
    ["version 0", (api) => api.registry.setAlias({ name: "fashion-classifier", alias: "staging", version: 0 }), "BAD_REQUEST", /versions start at 1/],
    ["version 1.5", (api) => api.registry.setAlias({ name: "fashion-classifier", alias: "staging", version: 1.5 }), "BAD_REQUEST", /whole number/],
    ["version as a string", (api) => api.registry.setAlias({ name: "fashion-classifier", alias: "staging", version: "1" as unknown as number }), "BAD_REQUEST", /version: .*expected number/],
    ["alias to an unknown version", (api) => api.registry.setAlias({ name: "fashion-classifier", alias: "staging", version: 9 }), "NOT_FOUND", /has no version 9 \(its versions are 1, 2, 3\)/],
    ["alias on an unknown model", (api) => api.registry.setAlias({ name: "nope", alias: "staging", version: 1 }), "NOT_FOUND", /No registered model named "nope"/],
    ["remove an unknown alias", (api) => api.registry.removeAlias({ name: "fashion-classifier", alias: "canary" }), "NOT_FOUND", /has no alias @canary \(its aliases are @production\)/],
    ["delete an unknown version", (api) => api.registry.deleteVersion({ name: "fashion-classifier", version: 42 }), "NOT_FOUND", /has no version 42/],
    ["resolve with both version and alias", (api) => api.registry.resolve({ name: "fashion-classifier", version: 1, alias: "production" }), "BAD_REQUEST", /either a version or an alias/],
  ];

  describe("registry: refused changes get a 4xx and change nothing", () => {
    it.each(refused)("%s", async (_name, call, code, message) => {
      const before = await snapshot();
      const err = await failure(() => call(t.api));
      expect(err.code).toBe(code);
      expect(err.message).toMatch(message);
      expect(await snapshot()).toEqual(before);
    });

    it("changes need the admin token when one is configured; reads do not", async () => {
      process.env.FMNIST_ADMIN_TOKEN = "s3cret";
      try {
        const anonymous = createCaller(createTRPCContext({ db: t.db }));
        const before = await snapshot();
        for (const call of [
          () => anonymous.registry.register({ runId: runs.first, name: "fashion-classifier" }),
          () => anonymous.registry.setAlias({ name: "fashion-classifier", alias: "production", version: 1 }),
          () => anonymous.registry.removeAlias({ name: "fashion-classifier", alias: "production" }),
          () => anonymous.registry.deleteVersion({ name: "fashion-classifier", version: 2 }),
        ]) {
          expect((await failure(call)).code).toBe("UNAUTHORIZED");
        }
        expect(await snapshot()).toEqual(before);
        expect((await anonymous.registry.list()).length).toBeGreaterThan(0);
        const admin = createCaller(createTRPCContext({ db: t.db, headers: new Headers({ authorization: "Bearer s3cret" }) }));
        expect(await admin.registry.setAlias({ name: "fashion-classifier", alias: "staging", version: 1 })).toMatchObject({ changed: true });
      } finally {
        delete process.env.FMNIST_ADMIN_TOKEN;
      }
    });
  });
}
