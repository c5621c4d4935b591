// The fast path (a plain Node handler on the HTTP server, before Next) answers exactly what the Next
// route answers: over real HTTP through the real interception (server/intercept.ts), against the
// route's own adapter (handleModelGet/Post) and proxy.ts for the checks Next did around it.
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { FIXTURE_DIR, readDataset } from "@fmnist/data";
import { NextRequest } from "next/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { proxy } from "~/proxy";
import { serveBeforeNext } from "~/server/intercept";
import { handleModelGet, handleModelPost } from "./handlers";
import { MAX_INSTANCES } from "./limits";
import { ModelStore } from "./model-store";
import { isFastPathRequest, serveModelsNode } from "./node-handler";
import { createServingFixture, type ServingFixture } from "./test-fixture";

let fixture: ServingFixture;
let store: ModelStore;
/** The store the fast path serves from (the 503 test swaps in one with a tiny queue). */
let serving: ModelStore;
let server: Server;
let origin: string;
const pixels = readDataset(FIXTURE_DIR).test.images;
const image = (i: number) => Array.from(pixels.subarray(i * 784, (i + 1) * 784), (p) => p / 255);

beforeAll(async () => {
  fixture = await createServingFixture("fmnist-fast-");
  await fixture.api.registry.register({ runId: await fixture.addRun("v1 run", 1), name: "fashion-classifier" });
  await fixture.api.registry.register({ runId: await fixture.addRun("v2 run", 2), name: "fashion-classifier" });
  await fixture.api.registry.setAlias({ name: "fashion-classifier", alias: "production", version: 1 });
  store = new ModelStore(fixture.api);
  serving = store;
  await store.get({ name: "fashion-classifier", version: 1 });
  serveBeforeNext("prediction-api-test", { matches: isFastPathRequest, handle: (req, res) => serveModelsNode(req, res, serving) });
  // Next's place: whatever the fast path does not take ends here.
  server = createServer((_req, res) => {
    res.writeHead(418, { "content-type": "text/plain" });
    res.end("reached Next");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  store.close();
  await fixture.close();
});

interface Seen {
  status: number;
  headers: Record<string, string | null>;
  body: unknown;
}
const HEADERS = ["content-type", "allow", "retry-after", "www-authenticate", "cache-control"];

async function seen(res: Response): Promise<Seen> {
  const text = await res.text();
  return { status: res.status, headers: Object.fromEntries(HEADERS.map((h) => [h, res.headers.get(h)])), body: text ? JSON.parse(text) : null };
}

type Init = { method?: string; body?: string | Uint8Array; headers?: Record<string, string> };
const fast = (path: string, init: Init = {}) => fetch(`${origin}/api/v1/models/${path}`, init as RequestInit).then(seen);
const viaRoute = (path: string, init: Init = {}) => {
  const segments = path.split("/");
  if ((init.method ?? "GET") === "GET") return handleModelGet(segments, serving).then(seen);
  return handleModelPost(new Request(`http://next/api/v1/models/${path}`, init as RequestInit), segments, serving).then(seen);
};
const post = (body: string | Uint8Array, headers: Record<string, string> = {}): Init => ({ method: "POST", body, headers: { "content-type": "application/json", ...headers } });
const PREDICT = "fashion-classifier@production:predict";

describe("the fast path answers as the Next route", () => {
  const cases: [string, string, Init, number][] = [
    ["a prediction", PREDICT, post(JSON.stringify({ instances: [image(0), image(1)] })), 200],
    ["metadata", "fashion-classifier/versions/1", {}, 200],
    ["bad JSON", PREDICT, post("{instances:"), 400],
    ["NaN", PREDICT, post('{"instances":[[NaN]]}'), 400],
    ["a pixel outside [0,1]", PREDICT, post(JSON.stringify({ instances: [image(0).map((v) => v * 255)] })), 400],
    ["a wrong shape", PREDICT, post(JSON.stringify({ instances: [[1, 2, 3]] })), 400],
    ["too many instances", PREDICT, post(`{"instances":[${new Array(MAX_INSTANCES + 1).fill("[0]").join(",")}]}`), 413],
    ["a body over 8 MB", PREDICT, post(new Uint8Array(9 * 1024 * 1024)), 413],
    ["unknown model", "nope@production:predict", post(JSON.stringify({ instances: [image(0)] })), 404],
    ["unknown version", "fashion-classifier/versions/9:predict", post(JSON.stringify({ instances: [image(0)] })), 404],
    ["unknown alias", "fashion-classifier@canary", {}, 404],
    ["an unknown verb", "fashion-classifier@production:explain", post("{}"), 404],
    ["POST to metadata", "fashion-classifier@production", post("{}"), 405],
    ["GET of :predict", PREDICT, {}, 405],
    ["JSON to the photo endpoint", "fashion-classifier@production:classify", post("{}"), 415],
  ];

  it.each(cases)("%s", async (_name, path, init, status) => {
    const registry = await fixture.api.registry.byName({ name: "fashion-classifier" });
    const a = await fast(path, init);
    const b = await viaRoute(path, init);
    expect(a.status).toBe(status);
    expect(a).toEqual(b);
    expect(await fixture.api.registry.byName({ name: "fashion-classifier" })).toEqual(registry);
  });

  it("asks for the serving token when one is configured (401), and takes it", async () => {
    process.env.FMNIST_SERVE_TOKEN = "serve-secret";
    try {
      const body = JSON.stringify({ instances: [image(2)] });
      const refused = await fast(PREDICT, post(body));
      expect(refused.status).toBe(401);
      expect(refused.headers["www-authenticate"]).toBe("Bearer");
      expect(refused).toEqual(await viaRoute(PREDICT, post(body)));
      const wrong = post(body, { authorization: "Bearer nope" });
      expect(await fast(PREDICT, wrong)).toEqual(await viaRoute(PREDICT, wrong));
      const authed = post(body, { authorization: "Bearer serve-secret" });
      const a = await fast(PREDICT, authed);
      expect(a.status).toBe(200);
      expect(a).toEqual(await viaRoute(PREDICT, authed));
    } finally {
      delete process.env.FMNIST_SERVE_TOKEN;
    }
  });

  it("answers 503 with Retry-After when the queue is full, as the route does", { timeout: 30_000 }, async () => {
    Object.assign(process.env, { FMNIST_SERVE_MAX_QUEUE: "2", FMNIST_SERVE_BATCH_WINDOW_MS: "200" });
    serving = new ModelStore(fixture.api);
    try {
      await serving.get({ name: "fashion-classifier", version: 2 });
      const init = post(JSON.stringify({ instances: [image(0)] }));
      for (const send of [fast, viaRoute]) {
        const answers = await Promise.all([1, 2, 3].map(() => send("fashion-classifier/versions/2:predict", init)));
        expect(answers.map((r) => r.status).sort()).toEqual([200, 200, 503]);
        const busy = answers.find((r) => r.status === 503) as Seen;
        expect(Number(busy.headers["retry-after"])).toBeGreaterThanOrEqual(1);
        expect((busy.body as { error: string }).error).toMatch(/The server is busy: 2 images are waiting \(limit 2\)/);
      }
    } finally {
      serving.close();
      serving = store;
      delete process.env.FMNIST_SERVE_MAX_QUEUE;
      delete process.env.FMNIST_SERVE_BATCH_WINDOW_MS;
    }
  });
});

describe("what Next and proxy.ts did around the route, the fast path does", () => {
  const viaProxy = (path: string, method: string) => seen(proxy(new NextRequest(`http://next${path}`, { method })));

  it("refuses other methods with 405 and the proxy's Allow", async () => {
    for (const method of ["PUT", "DELETE", "PATCH", "OPTIONS"]) {
      const a = await fetch(`${origin}/api/v1/models/${PREDICT}`, { method }).then(seen);
      expect(a.status).toBe(405);
      expect(a).toEqual({ ...(await viaProxy(`/api/v1/models/${PREDICT}`, method)), headers: a.headers });
      expect(a.headers.allow).toBe("GET, POST, HEAD");
    }
  });

  it("refuses a path or query that does not percent-decode with 400, as the proxy", async () => {
    for (const path of ["fashion-classifier%E0%A4%A@production", "fashion-classifier@production?x=%E0%A4%A"]) {
      const a = await fast(path, {});
      const b = await viaProxy(`/api/v1/models/${path}`, "GET");
      expect(a.status, path).toBe(400);
      expect([a.status, a.body]).toEqual([b.status, b.body]);
    }
  });

  it("answers HEAD with the metadata's headers and no body", async () => {
    const res = await fetch(`${origin}/api/v1/models/fashion-classifier@production`, { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(Number(res.headers.get("content-length"))).toBeGreaterThan(100);
    expect(await res.text()).toBe("");
  });

  it("refuses a streamed body over the limit with 413 before reading it all", { timeout: 30_000 }, async () => {
    const url = new URL(`${origin}/api/v1/models/${PREDICT}`);
    const status = await new Promise<number>((resolve, reject) => {
      // Chunked: no Content-Length to refuse up front.
      const req = httpRequest(url, { method: "POST", headers: { "content-type": "application/json", "transfer-encoding": "chunked" } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      const chunk = Buffer.alloc(1024 * 1024, 32);
      let sent = 0;
      const pump = () => {
        while (sent < 64 && req.write(chunk)) sent++;
        if (sent < 64) req.once("drain", pump);
        else req.end();
      };
      pump();
    });
    expect(status).toBe(413);
  });

  it("leaves everything else to Next: the model list, a trailing slash, other API paths", async () => {
    for (const path of ["/api/v1/models", "/api/v1/models?x=1", "/api/v1/models/", "/api/v1/models/fashion-classifier@production/", "/api/v1/openapi.json", "/api/trpc/runs.list"]) {
      const res = await fetch(`${origin}${path}`);
      expect([path, res.status, await res.text()]).toEqual([path, 418, "reached Next"]);
    }
  });
});
