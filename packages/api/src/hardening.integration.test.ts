// Fuzz-style checks of every procedure, through createCaller and through the HTTP handler the web
// server runs, on SQLite and PostgreSQL: strings PostgreSQL cannot store (NUL, lone surrogates),
// wrong types, huge strings, oversized batches and bodies. Each must get a 4xx with a short message,
// write nothing, and no response may carry database internals or a stack trace.
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, failure, insertRun, matrix, postgresAvailable, type TestDb, type TestDialect } from "../test/db";
import { handleTRPCRequest, MAX_BATCH_SIZE, MAX_BODY_BYTES } from "./http";
import { appRouter } from "./root";

/** What would betray internals: the ORM, SQL states, a stack frame, server paths. */
const INTERNALS = /prisma|invocation|SQLSTATE|code: 2\d{4}|\n\s+at |node_modules|\.ts:\d+/i;

const BAD_STRINGS: [string, string][] = [
  ["a NUL byte", "a\u0000b"],
  ["a lone high surrogate", "run \ud800"],
  ["a lone low surrogate", "\udc00x"],
];

const validConfig = { name: "fuzz", architecture: "tiny-cnn", epochs: 1, dataset: "fixture-subset", maxTrainImages: 400 };

/** For each procedure, inputs with `s` in each string field it takes (path of that field first).
 * Procedures not listed here (added later) get a generic object, which the check refuses as well. */
function inputsWith(path: string, s: string, runId: string): [field: string, input: unknown][] {
  switch (path) {
    case "runs.list":
      return [
        ["search", { search: s }],
        ["architecture", { architecture: s }],
        ["sort.column", { sort: { column: s, direction: "asc" } }],
        ["status.0", { status: [s] }],
      ];
    case "runs.byId":
    case "runs.dataset":
    case "runs.cancel":
    case "runs.retry":
    case "runs.delete":
      return [["id", { id: s }]];
    case "runs.setTags":
      return [
        ["id", { id: s, tags: [] }],
        ["tags.0", { id: runId, tags: [s] }],
      ];
    case "runs.setNote":
      return [["note", { id: runId, note: s }]];
    case "runs.misclassified":
      return [["runId", { runId: s }]];
    case "runs.compare":
      return [["ids.1", { ids: [runId, s] }]];
    case "runs.create":
      return [
        ["name", { ...validConfig, name: s }],
        ["parentRunId", { ...validConfig, parentRunId: s }],
        ["architecture", { ...validConfig, architecture: s }],
      ];
    default:
      return [
        ["id", { id: s }],
        ["name", { name: s }],
      ];
  }
}

const procedures = Object.keys(appRouter._def.procedures).sort();

describe.each<TestDialect>(["sqlite", "postgres"])("%s", (dialect) => {
  describe.skipIf(dialect === "postgres" && !postgresAvailable)("hardening", () => {
    let t: TestDb;
    let runId: string;
    let queuedId: string;
    beforeAll(async () => {
      t = await createTestDb(dialect);
      runId = await insertRun(t.db, { name: "kept", confusionMatrix: matrix(8, [[0, 6, 2]]) });
      queuedId = await insertRun(t.db, { name: "queued", status: "QUEUED" });
    }, 60_000);
    afterAll(() => t?.close());

    /** Every row of every table that a procedure could write. */
    async function snapshot() {
      const [runs, epochs, evaluations, misclassified, artifacts] = await Promise.all([
        t.db.run.findMany({ orderBy: { id: "asc" } }),
        t.db.epochMetric.count(),
        t.db.evaluation.count(),
        t.db.misclassified.count(),
        t.db.artifact.count(),
      ]);
      return { runs, epochs, evaluations, misclassified, artifacts };
    }

    async function call(path: string, input: unknown) {
      const [ns, name] = path.split(".");
      const api = t.api as unknown as Record<string, Record<string, (i: unknown) => Promise<unknown>>>;
      return api[ns][name](input);
    }

    it("covers every procedure of the router", () => {
      expect(procedures).toEqual(expect.arrayContaining(["runs.list", "runs.byId", "runs.create", "runs.cancel", "runs.delete", "auth.status"]));
    });

    describe.each(BAD_STRINGS)("%s in any string input", (_label, bad) => {
      it.each(procedures)("%s: 400 naming the field, nothing written", async (path) => {
        const before = await snapshot();
        for (const [field, input] of inputsWith(path, bad, runId)) {
          const err = await failure(() => call(path, input));
          expect(err.code, `${path} ${field}`).toBe("BAD_REQUEST");
          expect(getHTTPStatusCodeFromError(err)).toBe(400);
          expect(err.message).toContain(`${field}: contains a`);
          expect(err.message).not.toMatch(INTERNALS);
        }
        // Also as a field name.
        const err = await failure(() => call(path, { [bad]: 1 }));
        expect(err.code).toBe("BAD_REQUEST");
        expect(await snapshot()).toEqual(before);
      });
    });

    it.each(procedures)("%s: wrong types and huge strings get a 4xx or are ignored, never a 5xx or a write", async (path) => {
      const before = await snapshot();
      const huge = "x".repeat(1024 * 1024);
      const inputs: unknown[] = [42, "text", [], [1, 2], { id: {} }, { id: 7 }, { id: huge }, { name: huge }, { search: huge }, { runId: huge }, { ids: [huge, huge] }, { ...validConfig, name: huge }, { limit: "9" }];
      for (const input of inputs) {
        try {
          await call(path, input);
        } catch (e) {
          const err = e as Parameters<typeof getHTTPStatusCodeFromError>[0];
          const status = getHTTPStatusCodeFromError(err);
          expect(status, `${path} ${JSON.stringify(input).slice(0, 80)}: ${err.message}`).toBeGreaterThanOrEqual(400);
          expect(status).toBeLessThan(500);
          expect(err.message.length).toBeLessThan(2000);
          expect(err.message).not.toMatch(INTERNALS);
        }
      }
      // Procedures without an input (facets, auth.status) ignore it; none wrote anything.
      expect(await snapshot()).toEqual(before);
    });

    describe("over HTTP (the handler the server runs)", () => {
      const url = (path: string, input?: unknown) =>
        `http://test/api/trpc/${path}${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify({ json: input }))}`}`;
      const handle = (req: Request) => handleTRPCRequest(req, { db: t.db, dialect });

      it("a NUL in a query's input: 400 naming the field, a short JSON body", async () => {
        const res = await handle(new Request(url("runs.byId", { id: "a\u0000b" })));
        expect(res.status).toBe(400);
        const text = await res.text();
        expect(text).toContain("id: contains a NUL character");
        expect(text).not.toMatch(INTERNALS);
        expect(text.length).toBeLessThan(2000);
      });

      it("a lone surrogate in create's name: 400, no run created", async () => {
        const before = await snapshot();
        const body = JSON.stringify({ json: { ...validConfig, name: "bad \ud800 name" } });
        const res = await handle(new Request(url("runs.create"), { method: "POST", headers: { "content-type": "application/json" }, body }));
        expect(res.status).toBe(400);
        const text = await res.text();
        expect(text).toContain("name: contains a lone UTF-16 surrogate");
        expect(text).not.toMatch(INTERNALS);
        expect(await snapshot()).toEqual(before);
      });

      it(`batches up to ${MAX_BATCH_SIZE} calls; one more is refused with 400 before any call runs`, async () => {
        const batch = (n: number) => {
          const paths = Array.from({ length: n }, () => "runs.list").join(",");
          const input = Object.fromEntries(Array.from({ length: n }, (_, i) => [i, { json: { limit: 1 } }]));
          return new Request(`http://test/api/trpc/${paths}?batch=1&input=${encodeURIComponent(JSON.stringify(input))}`);
        };
        const ok = await handle(batch(MAX_BATCH_SIZE));
        expect(ok.status).toBe(200);
        expect(await ok.json()).toHaveLength(MAX_BATCH_SIZE);
        const t0 = performance.now();
        const refused = await handle(batch(1500));
        expect(refused.status).toBe(400);
        const text = await refused.text();
        expect(text).toMatch(/batch/i);
        expect(text.length).toBeLessThan(2000);
        expect(performance.now() - t0).toBeLessThan(500);
      });

      it("a 10 MB body is refused with 413 from its Content-Length, before it is read", async () => {
        const before = await snapshot();
        let pulled = 0;
        // A body that counts what is read from it: a refusal from the header reads nothing.
        const body = new ReadableStream<Uint8Array>({
          pull(controller) {
            pulled += 65536;
            if (pulled > 10 * 1024 * 1024) controller.close();
            else controller.enqueue(new Uint8Array(65536).fill(123));
          },
        });
        const req = new Request(url("runs.create"), {
          method: "POST",
          headers: { "content-type": "application/json", "content-length": String(10 * 1024 * 1024) },
          body,
          duplex: "half",
        } as RequestInit);
        const t0 = performance.now();
        const res = await handle(req);
        expect(res.status).toBe(413);
        expect(performance.now() - t0).toBeLessThan(200);
        expect(pulled).toBeLessThanOrEqual(65536);
        expect(await snapshot()).toEqual(before);
      });

      it("a chunked body (no Content-Length) is read only up to the limit, then 413", async () => {
        let pulled = 0;
        const body = new ReadableStream<Uint8Array>({
          pull(controller) {
            pulled += 16384;
            controller.enqueue(new Uint8Array(16384).fill(123));
          },
        });
        const res = await handle(new Request(url("runs.delete"), { method: "POST", body, duplex: "half" } as RequestInit));
        expect(res.status).toBe(413);
        expect(pulled).toBeLessThan(MAX_BODY_BYTES + 4 * 16384);
        expect(await snapshot()).toMatchObject({ runs: expect.arrayContaining([expect.objectContaining({ id: queuedId })]) });
      });

      it("malformed JSON in a mutation body: 400, short message", async () => {
        const res = await handle(new Request(url("runs.cancel"), { method: "POST", headers: { "content-type": "application/json" }, body: '{"json":{"id":' }));
        expect(res.status).toBe(400);
        expect(await res.text()).not.toMatch(INTERNALS);
      });
    });

    it("an unexpected database failure answers a short message with a request id; the log has the details", async () => {
      // A real failure, not a mock: the table a procedure reads is gone.
      const broken = await createTestDb(dialect);
      try {
        const id = await insertRun(broken.db, { name: "evaluated", confusionMatrix: matrix(8, [[0, 6, 2]]) });
        await broken.db.$executeRawUnsafe(`DROP TABLE "Misclassified"`);
        const logged: unknown[][] = [];
        const original = console.error;
        console.error = (...args: unknown[]) => void logged.push(args);
        let res: Response;
        try {
          res = await handleTRPCRequest(new Request(`http://test/api/trpc/runs.misclassified?input=${encodeURIComponent(JSON.stringify({ json: { runId: id } }))}`), {
            db: broken.db,
            dialect,
          });
        } finally {
          console.error = original;
        }
        expect(res.status).toBe(500);
        // superjson wraps the error shape in { json }.
        const body = ((await res.json()) as { error: { json: { message: string; data: Record<string, unknown> } } }).error.json;
        expect(body.message).toMatch(/^Internal error/);
        const requestId = /request id ([0-9a-f-]{36})/.exec(body.message)?.[1];
        expect(requestId).toBeDefined();
        expect(JSON.stringify(body)).not.toMatch(INTERNALS);
        expect(body.data.stack).toBeUndefined();
        // The server log has the id and the real cause.
        const line = logged.find((args) => String(args[0]).includes(requestId as string));
        expect(line).toBeDefined();
        expect(String((line?.[1] as Error)?.message ?? line?.[1])).toMatch(/Misclassified/i);
      } finally {
        await broken.close();
      }
    }, 60_000);
  });
});
