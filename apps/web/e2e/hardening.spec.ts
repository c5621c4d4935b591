// The production server under hostile input, at the HTTP level: methods it does not take, URLs that
// do not decode, strings PostgreSQL cannot store, oversized batches and bodies, symbolic links in
// the artifacts directory. Raw node:http requests, so nothing normalises what is sent.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import { E2E_ADMIN_TOKEN, E2E_ARTIFACTS_DIR, E2E_PORT } from "./paths";
import { e2eRuns } from "./runs";

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  ms: number;
}

/** One request exactly as given (path bytes, method, body), answered in full. */
function raw(method: string, path: string, opts: { body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<Raw> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port: E2E_PORT, method, path, headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8"), ms: performance.now() - t0 }));
      res.on("error", reject);
    });
    // A server that answers before reading the whole body may close the socket under us.
    req.on("error", (e) => reject(e));
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/** What would betray internals: the ORM, SQL states, a stack frame, server paths. */
const INTERNALS = /prisma|invocation|SQLSTATE|code: 2\d{4}|\n\s+at |node_modules|\.ts:\d+/i;
const trpcGet = (path: string, json: unknown) => `/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json }))}`;
const auth = { authorization: `Bearer ${E2E_ADMIN_TOKEN}`, "content-type": "application/json" };

async function runCount(): Promise<number> {
  const res = await raw("GET", trpcGet("runs.list", { limit: 1 }));
  return JSON.parse(res.body).result.data.json.total as number;
}

test.describe("methods and URLs Next.js would otherwise answer with 500", () => {
  for (const path of ["/api/trpc/runs.list", "/", "/runs/abc", "/api/artifacts/abc/model.json", "/api/dataset/test-images/0?run=x", "/icon.svg"]) {
    for (const method of ["TRACE", "PUT", "DELETE", "PATCH"]) {
      test(`${method} ${path} -> 405 with Allow`, async () => {
        const res = await raw(method, path);
        expect(res.status).toBe(405);
        expect(String(res.headers.allow)).toMatch(/GET/);
        expect(res.body).not.toMatch(INTERNALS);
      });
    }
  }

  test("malformed percent-encoding -> 400 on every kind of route", async () => {
    const run = e2eRuns()[0];
    for (const path of [
      "/api/trpc/runs.%E0%A4%A",
      `/api/artifacts/${run.id}/%E0%A4%A`,
      `/api/dataset/test-images/%E0%A4%A?run=${run.id}`,
      "/runs/%E0%A4%A",
      "/%C0%AF",
    ]) {
      const res = await raw("GET", path);
      expect(res.status, path).toBe(400);
      expect(res.body, path).toMatch(/malformed URL/);
    }
    // Query strings are decoded leniently (URLSearchParams turns a bad sequence into U+FFFD): the
    // value is just a run id or parameter that does not exist.
    for (const path of ["/api/dataset/test-images/0?run=%E0%A4%A", "/compare?ids=%E0%A4%A", trpcGet("runs.byId", { id: "x" }).replace("x", "%E0%A4%A")]) {
      const res = await raw("GET", path);
      expect(res.status, path).toBeLessThan(500);
      expect(res.body, path).not.toMatch(INTERNALS);
    }
  });
});

test.describe("strings PostgreSQL cannot store are refused with 400 naming the field", () => {
  test("NUL and lone surrogates in queries, mutations and routes; nothing written", async () => {
    const run = e2eRuns()[0];
    const before = await runCount();
    const cases: [string, string, string | undefined, RegExp][] = [
      ["GET", trpcGet("runs.byId", { id: "a\u0000b" }), undefined, /id: contains a NUL/],
      ["GET", trpcGet("runs.list", { search: "x\u0000" }), undefined, /search: contains a NUL/],
      ["GET", trpcGet("runs.misclassified", { runId: "\u0000" }), undefined, /runId: contains a NUL/],
      ["GET", trpcGet("runs.compare", { ids: [run.id, "b\u0000"] }), undefined, /ids\.1: contains a NUL/],
      ["GET", trpcGet("runs.dataset", { id: "\ud800" }), undefined, /id: contains a lone UTF-16 surrogate/],
      ["POST", "/api/trpc/runs.create", JSON.stringify({ json: { name: "n\u0000", architecture: "mlp", epochs: 1 } }), /name: contains a NUL/],
      ["POST", "/api/trpc/runs.create", JSON.stringify({ json: { name: "n\ud800", architecture: "mlp", epochs: 1 } }), /name: contains a lone UTF-16 surrogate/],
      ["POST", "/api/trpc/runs.cancel", JSON.stringify({ json: { id: "\u0000" } }), /id: contains a NUL/],
      ["POST", "/api/trpc/runs.retry", JSON.stringify({ json: { id: "\u0000" } }), /id: contains a NUL/],
      ["POST", "/api/trpc/runs.delete", JSON.stringify({ json: { id: `${run.id}\u0000` } }), /id: contains a NUL/],
      ["GET", "/api/dataset/test-images/1?run=%00", undefined, /id: contains a NUL/],
      ["GET", "/api/dataset/test-set?run=%00", undefined, /id: contains a NUL/],
    ];
    for (const [method, path, body, message] of cases) {
      const res = await raw(method, path, { body, headers: body ? auth : undefined });
      expect(res.status, path).toBe(400);
      expect(res.body, path).toMatch(message);
      expect(res.body, path).not.toMatch(INTERNALS);
    }
    expect(await runCount()).toBe(before);
    expect((await raw("GET", trpcGet("runs.byId", { id: run.id }))).status).toBe(200);
  });
});

test.describe("limits", () => {
  test("a batch over the limit is refused at once; one at the limit is answered", async () => {
    const batch = (n: number, withInput = true) => {
      const input = Object.fromEntries(Array.from({ length: n }, (_, i) => [i, { json: { limit: 1 } }]));
      return `/api/trpc/${Array.from({ length: n }, () => "runs.list").join(",")}?batch=1${withInput ? `&input=${encodeURIComponent(JSON.stringify(input))}` : ""}`;
    };
    const ok = await raw("GET", batch(20));
    expect(ok.status).toBe(200);
    const over = await raw("GET", batch(21));
    expect(over.status).toBe(400);
    expect(over.body).toMatch(/batch/i);
    // The issue's attack: 1,500 calls in one 15 KB GET. Refused (400) before any call runs.
    const refused = await raw("GET", batch(1500, false));
    expect(refused.status).toBe(400);
    expect(refused.body.length).toBeLessThan(2000);
    expect(refused.ms).toBeLessThan(1000);
    // Longer than Node's 16 KB header limit: the HTTP server itself refuses it with 431 and closes
    // the connection, which a client still sending its headers may see as a reset instead.
    const tooLong = await raw("GET", batch(1500)).then(
      (r) => String(r.status),
      (e: NodeJS.ErrnoException) => e.code ?? String(e),
    );
    expect(["431", "ECONNRESET", "EPIPE"]).toContain(tooLong);
  });

  test("a 10 MB body with a valid token is refused with 413 quickly; nothing written", async () => {
    const before = await runCount();
    const body = Buffer.alloc(10 * 1024 * 1024, "x".charCodeAt(0));
    const res = await raw("POST", "/api/trpc/runs.create", { body, headers: { ...auth, "content-length": String(body.length) } }).catch((e: Error) => e);
    // Either the 413 arrives, or the server closed the connection while the client still wrote.
    if (!(res instanceof Error)) {
      expect(res.status).toBe(413);
      expect(res.ms).toBeLessThan(1000);
    }
    expect(await runCount()).toBe(before);
  });
});

test.describe("artifacts: symbolic links are never followed out of ARTIFACTS_DIR", () => {
  let outside: string;
  test.beforeAll(() => {
    outside = mkdtempSync(join(tmpdir(), "fmnist-outside-"));
    writeFileSync(join(outside, "model.json"), '{"planted":"TOPSECRET-42"}');
    writeFileSync(join(outside, "secret.bin"), "TOPSECRET-42");
    const run = e2eRuns()[0];
    const runDir = join(E2E_ARTIFACTS_DIR, "runs", run.id);
    symlinkSync("/etc/passwd", join(runDir, "passwd.bin"));
    symlinkSync(join(outside, "secret.bin"), join(runDir, "secret.bin"));
    // A run folder that is a link to a directory outside.
    mkdirSync(join(E2E_ARTIFACTS_DIR, "runs"), { recursive: true });
    symlinkSync(outside, join(E2E_ARTIFACTS_DIR, "runs", "linkedout"));
  });
  test.afterAll(() => {
    const run = e2eRuns()[0];
    for (const p of [join(E2E_ARTIFACTS_DIR, "runs", run.id, "passwd.bin"), join(E2E_ARTIFACTS_DIR, "runs", run.id, "secret.bin"), join(E2E_ARTIFACTS_DIR, "runs", "linkedout")]) {
      rmSync(p, { force: true });
    }
    rmSync(outside, { recursive: true, force: true });
  });

  test("a link to a file outside, and a run folder linking out: 404, nothing served", async () => {
    const run = e2eRuns()[0];
    for (const path of [`/api/artifacts/${run.id}/passwd.bin`, `/api/artifacts/${run.id}/secret.bin`, "/api/artifacts/linkedout/model.json", "/api/artifacts/linkedout/secret.bin"]) {
      const res = await raw("GET", path);
      expect(res.status, path).toBe(404);
      expect(res.body).not.toContain("root:");
      expect(res.body).not.toContain("TOPSECRET-42");
    }
    // The run's real files are still served.
    expect((await raw("GET", `/api/artifacts/${run.id}/model.json`)).status).toBe(200);
  });
});
