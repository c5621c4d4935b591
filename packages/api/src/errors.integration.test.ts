import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, failure, insertRun, type TestDb } from "../test/db";

let t: TestDb;
let id: string;

beforeAll(async () => {
  t = await createTestDb();
  id = await insertRun(t.db, { name: "only" });
});
afterAll(() => t.close());

// Inputs a client could send: each must be refused with a 4xx and a message, never a 500.
const badInputs: [string, (api: TestDb["api"]) => Promise<unknown>, string, RegExp][] = [
  ["unknown run id", (api) => api.runs.byId({ id: "does-not-exist" }), "NOT_FOUND", /No run with id "does-not-exist"/],
  ["empty run id", (api) => api.runs.byId({ id: "" }), "BAD_REQUEST", /id: run id is required/],
  ["run id of the wrong type", (api) => api.runs.byId({ id: 42 as unknown as string }), "BAD_REQUEST", /id: .*expected string/],
  ["no input at all", (api) => (api.runs.byId as (x?: unknown) => Promise<unknown>)(), "BAD_REQUEST", /Invalid input/],
  ["misclassified of an unknown run", (api) => api.runs.misclassified({ runId: "nope" }), "NOT_FOUND", /No run with id "nope"/],
  ["class label 10", (api) => api.runs.misclassified({ runId: "x", trueLabel: 10 }), "BAD_REQUEST", /trueLabel: Too big/],
  ["limit 0", (api) => api.runs.list({ limit: 0 }), "BAD_REQUEST", /limit: Too small/],
  ["limit 1000", (api) => api.runs.list({ limit: 1000 }), "BAD_REQUEST", /limit: Too big/],
  ["limit 2.5", (api) => api.runs.list({ limit: 2.5 }), "BAD_REQUEST", /limit: .*int/],
  ["limit as a string", (api) => api.runs.list({ limit: "10" as unknown as number }), "BAD_REQUEST", /limit: .*expected number/],
  ["negative cursor", (api) => api.runs.list({ cursor: -1 }), "BAD_REQUEST", /cursor: Too small/],
  ["unknown sort column", (api) => api.runs.list({ sort: { column: "secret" as "name", direction: "asc" } }), "BAD_REQUEST", /sort.column: Invalid option/],
  ["unknown status", (api) => api.runs.list({ status: ["DONE" as "FAILED"] }), "BAD_REQUEST", /status.0: Invalid option/],
  ["status not an array", (api) => api.runs.list({ status: "FAILED" as unknown as ["FAILED"] }), "BAD_REQUEST", /status: .*expected array/],
  ["5 runs to compare", (api) => api.runs.compare({ ids: ["a", "b", "c", "d", "e"] }), "BAD_REQUEST", /at most 4 runs/],
  ["1 run to compare", (api) => api.runs.compare({ ids: ["a"] }), "BAD_REQUEST", /at least 2 runs/],
  ["the same run twice", (api) => api.runs.compare({ ids: ["a", "a"] }), "BAD_REQUEST", /only once/],
  ["compare with an unknown run", (api) => api.runs.compare({ ids: [id, "ghost"] }), "NOT_FOUND", /No run with id "ghost"/],
];

describe("bad input gets a 4xx with a message, never a 500", () => {
  it.each(badInputs)("%s", async (_name, call, code, message) => {
    const err = await failure(() => call(t.api));
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
    const status = getHTTPStatusCodeFromError(err);
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
  });

  it("valid calls on the same database still work", async () => {
    await expect(t.api.runs.byId({ id })).resolves.toMatchObject({ name: "only" });
  });
});
