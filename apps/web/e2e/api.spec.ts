import { expect, test } from "@playwright/test";
import { e2eRuns } from "./runs";

// The HTTP API as any client sees it: bad input gets a 4xx and a message, never a 500.
const trpcGet = (path: string, json: unknown) => `/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json }))}`;

test.describe("tRPC over HTTP", () => {
  test("a valid query answers 200 with superjson data", async ({ request }) => {
    const res = await request.get(trpcGet("runs.list", { limit: 2 }));
    expect(res.status()).toBe(200);
    const body = await res.json();
    expect(body.result.data.json.items).toHaveLength(2);
    expect(body.result.data.json.total).toBe(e2eRuns().length);
    // No input at all is the first page with the defaults.
    const first = await request.get("/api/trpc/runs.list");
    expect(first.status()).toBe(200);
    expect((await first.json()).result.data.json.items).toHaveLength(e2eRuns().length);
  });

  const cases: [string, string, number, RegExp][] = [
    ["unknown run id", trpcGet("runs.byId", { id: "no-such-run" }), 404, /No run with id "no-such-run"/],
    ["limit 0", trpcGet("runs.list", { limit: 0 }), 400, /limit: Too small/],
    ["limit 1000", trpcGet("runs.list", { limit: 1000 }), 400, /limit: Too big/],
    ["limit of the wrong type", trpcGet("runs.list", { limit: "ten" }), 400, /limit: .*expected number/],
    ["unknown sort column", trpcGet("runs.list", { sort: { column: "password", direction: "asc" } }), 400, /sort\.column/],
    ["5 runs to compare", trpcGet("runs.compare", { ids: ["a", "b", "c", "d", "e"] }), 400, /at most 4 runs/],
    ["1 run to compare", trpcGet("runs.compare", { ids: ["a"] }), 400, /at least 2 runs/],
    ["ids not an array", trpcGet("runs.compare", { ids: "a,b" }), 400, /ids: .*expected array/],
    ["no input", "/api/trpc/runs.byId", 400, /Invalid input/],
    ["input that is not JSON", "/api/trpc/runs.list?input=%7Bnot-json", 400, /.+/],
    ["unknown procedure", "/api/trpc/runs.drop", 404, /No procedure found/],
  ];
  for (const [name, url, status, message] of cases) {
    test(`${name} -> ${status} with a message`, async ({ request }) => {
      const res = await request.get(url);
      expect(res.status()).toBe(status);
      const body = await res.json();
      expect(body.error.json.message).toMatch(message);
    });
  }

  test("a batch with one bad call answers the good one and refuses the bad one", async ({ request }) => {
    const input = encodeURIComponent(JSON.stringify({ 0: { json: { limit: 1 } }, 1: { json: { limit: 0 } } }));
    const res = await request.get(`/api/trpc/runs.list,runs.list?batch=1&input=${input}`);
    expect(res.status()).toBe(207);
    const [ok, bad] = await res.json();
    expect(ok.result.data.json.items).toHaveLength(1);
    expect(bad.error.json.data.httpStatus).toBe(400);
  });
});

test.describe("file routes", () => {
  test("test images: a PNG for a valid index, 4xx for bad ones", async ({ request }) => {
    const run = e2eRuns()[0];
    const ok = await request.get(`/api/dataset/test-images/0?run=${run.id}`);
    expect(ok.status()).toBe(200);
    expect(ok.headers()["content-type"]).toBe("image/png");
    expect([...(await ok.body()).subarray(1, 4)].map((c) => String.fromCharCode(c)).join("")).toBe("PNG");
    for (const [url, status] of [
      [`/api/dataset/test-images/-1?run=${run.id}`, 400],
      [`/api/dataset/test-images/1e3?run=${run.id}`, 400],
      [`/api/dataset/test-images/99999?run=${run.id}`, 404],
      ["/api/dataset/test-images/0", 400],
      ["/api/dataset/test-images/0?run=nope", 404],
    ] as const) {
      const res = await request.get(url);
      expect(res.status(), url).toBe(status);
      expect((await res.json()).error).toBeTruthy();
    }
  });

  test("artifacts: path traversal is refused with 400, missing files are 404", async ({ request }) => {
    const run = e2eRuns()[0];
    expect((await request.get(`/api/artifacts/${run.id}/model.json`)).status()).toBe(200);
    for (const url of [`/api/artifacts/${run.id}/..%2F..%2Fe2e.db`, `/api/artifacts/..%2F..%2F/e2e.db`, `/api/artifacts/${run.id}/model.json%00`, `/api/artifacts/${run.id}/.env`]) {
      const res = await request.get(url);
      expect(res.status(), url).toBe(400);
    }
    expect((await request.get(`/api/artifacts/${run.id}/missing.bin`)).status()).toBe(404);
  });
});
