// The tRPC HTTP handler's shared reads: many pollers of one URL share one computation per
// READ_TTL_MS, browsers revalidate with ETags, and nothing stays stale after a mutation.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, insertRun, postgresAvailable, type TestDb, type TestDialect } from "../test/db";
import { handleTRPCRequest, READ_TTL_MS } from "./http";

const get = (path: string, json: unknown) => `http://test/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json }))}`;

describe.each<TestDialect>(["sqlite", "postgres"])("%s", (dialect) => {
  describe.skipIf(dialect === "postgres" && !postgresAvailable)("shared reads", () => {
    let t: TestDb;
    beforeAll(async () => {
      t = await createTestDb(dialect);
      await insertRun(t.db, { name: "first" });
    }, 60_000);
    afterAll(() => t?.close());
    const handle = (req: Request) => handleTRPCRequest(req, { db: t.db, dialect });
    const total = async () => ((await (await handle(new Request(get("runs.list", { limit: 1 })))).json()) as { result: { data: { json: { total: number } } } }).result.data.json.total;

    it("an unchanged answer revalidates with 304 and no body", async () => {
      const first = await handle(new Request(get("runs.facets", undefined)));
      expect(first.status).toBe(200);
      const etag = first.headers.get("etag");
      expect(etag).toMatch(/^"[\w-]+"$/);
      expect(first.headers.get("cache-control")).toBe("no-cache");
      const again = await handle(new Request(get("runs.facets", undefined), { headers: { "if-none-match": etag as string } }));
      expect(again.status).toBe(304);
      expect(await again.text()).toBe("");
    });

    it("a mutation through the handler is visible to the very next read", async () => {
      const before = await total();
      const res = await handle(
        new Request("http://test/api/trpc/runs.create", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ json: { name: "queued by http", architecture: "mlp", epochs: 1, dataset: "fixture-subset" } }),
        }),
      );
      expect(res.status).toBe(200);
      expect(await total()).toBe(before + 1);
    });

    it(`a write by another process (a worker) shows within ${READ_TTL_MS} ms`, async () => {
      const before = await total();
      await insertRun(t.db, { name: "written by a worker" });
      const t0 = Date.now();
      while ((await total()) !== before + 1) {
        expect(Date.now() - t0).toBeLessThan(READ_TTL_MS + 1000);
        await new Promise((r) => setTimeout(r, 50));
      }
    });

    it("answers that depend on the caller (auth.status reads the token) are never shared", async () => {
      process.env.FMNIST_ADMIN_TOKEN = "s3cret";
      try {
        const anonymous = await (await handle(new Request(get("auth.status", undefined)))).json();
        const admin = await (await handle(new Request(get("auth.status", undefined), { headers: { authorization: "Bearer s3cret" } }))).json();
        expect(anonymous.result.data.json).toEqual({ tokenRequired: true, authorized: false });
        expect(admin.result.data.json).toEqual({ tokenRequired: true, authorized: true });
      } finally {
        delete process.env.FMNIST_ADMIN_TOKEN;
      }
    });

    it("errors are not kept: a run created after a 404 is found at once", async () => {
      const missing = await handle(new Request(get("runs.byId", { id: "later" })));
      expect(missing.status).toBe(404);
      await t.db.run.create({ data: { id: "later", name: "later", architecture: "mlp", config: {}, seed: 1, status: "QUEUED", epochsPlanned: 1 } });
      expect((await handle(new Request(get("runs.byId", { id: "later" })))).status).toBe(200);
    });
  });
});
