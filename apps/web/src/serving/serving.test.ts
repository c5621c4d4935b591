// The serving path end to end without HTTP: real SQLite registry, real tfjs models saved in the
// exported layout under a temporary ARTIFACTS_DIR, the route handlers' own functions.
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createCaller, createTRPCContext } from "@fmnist/api";
import { FIXTURE_DIR, readDataset } from "@fmnist/data";
import type { Db } from "@fmnist/db/client";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeGreyPng } from "~/server/png";
import { DynamicBatcher } from "./batcher";
import type { ServeError } from "./errors";
import { handleModelGet, handleModelPost } from "./handlers";
import { photoViews } from "./image";
import { MAX_INSTANCES } from "./limits";
import { ModelStore } from "./model-store";
import { createServingFixture, type ServingFixture } from "./test-fixture";

let fixture: ServingFixture;
let db: Db;
let api: ReturnType<typeof createCaller>;
let store: ModelStore;
let models: tf.LayersModel[];
// Real Fashion-MNIST test images (the shipped subset).
const testPixels = readDataset(FIXTURE_DIR).test.images;
const REAL_PHOTOS = resolve(import.meta.dirname, "../../../../../shared/real-photos");

const post = (path: string, body: BodyInit | Buffer, type = "application/json", headers: Record<string, string> = {}) =>
  handleModelPost(new Request(`http://test/api/v1/models/${path}`, { method: "POST", body: Buffer.isBuffer(body) ? new Uint8Array(body) : body, headers: { "content-type": type, ...headers } }), path.split("/"), store);
const predictJson = (path: string, instances: unknown) => post(path, JSON.stringify({ instances }));
const image = (i: number) => Array.from(testPixels.subarray(i * 784, (i + 1) * 784), (p) => p / 255);
/** What the version's model itself says for these images (the reference for every endpoint). */
const direct = (m: tf.LayersModel, images: number[][]) => tf.tidy(() => (m.predict(tf.tensor4d(images.flat(), [images.length, 28, 28, 1])) as tf.Tensor).arraySync() as number[][]);

beforeAll(async () => {
  fixture = await createServingFixture("fmnist-serve-");
  ({ db, api, models } = fixture);
  const r1 = await fixture.addRun("v1 run", 1);
  const r2 = await fixture.addRun("v2 run", 2);
  await api.registry.register({ runId: r1, name: "fashion-classifier" });
  await api.registry.register({ runId: r2, name: "fashion-classifier" });
  await api.registry.setAlias({ name: "fashion-classifier", alias: "production", version: 1 });
  store = new ModelStore(api);
  // Starts the inference thread and loads v1 (slow on a busy machine: not inside a 5 s test).
  await store.get({ name: "fashion-classifier", version: 1 });
}, 60_000);
afterAll(async () => {
  store.close();
  await fixture.close();
});

describe("dynamic batching and the bounded queue", () => {
  const ones = (n: number) => new Float32Array(n * 784);
  it("predicts requests that arrive within the window as one batch", async () => {
    const sizes: number[] = [];
    const b = new DynamicBatcher((_x, n) => {
      sizes.push(n);
      return new Float32Array(n * 10).map((_, i) => i);
    }, { windowMs: 20, maxBatch: 64, maxQueue: 1000 });
    const outs = await Promise.all([1, 2, 3].map((n) => b.submit(ones(n), n)));
    expect(sizes).toEqual([6]);
    expect(outs.map((o) => o.length)).toEqual([10, 20, 30]);
    expect(outs[1][0]).toBe(10); // the second request's rows, not the first's
  });

  it("with no window, predicts a lone request at once and batches what arrives while one runs, in one reused shared array", async () => {
    const sizes: number[] = [];
    const buffers: ArrayBufferLike[] = [];
    let release = () => {};
    const b = new DynamicBatcher(
      async (x, n) => {
        sizes.push(n);
        buffers.push(x.buffer);
        if (sizes.length === 1) await new Promise<void>((r) => (release = r));
        return new Float32Array(n * 10).fill(x[0]);
      },
      { windowMs: 0, maxBatch: 64, maxQueue: 1000 },
    );
    const first = b.submit(ones(1), 1);
    await new Promise((r) => setImmediate(r));
    expect(sizes).toEqual([1]); // started without waiting for company
    const rest = [2, 3, 4].map((n) => b.submit(new Float32Array(n * 784).fill(n), n));
    release();
    const outs = await Promise.all([first, ...rest]);
    expect(sizes).toEqual([1, 9]); // everything that arrived meanwhile, as one batch
    expect(buffers[0]).toBeInstanceOf(SharedArrayBuffer);
    expect(buffers[1]).toBe(buffers[0]);
    expect(outs[1][0]).toBe(2); // the batch's first pixel is the second request's
  });

  it("splits at maxBatch, and a larger single request runs alone", async () => {
    const sizes: number[] = [];
    const b = new DynamicBatcher((_x, n) => {
      sizes.push(n);
      return new Float32Array(n * 10);
    }, { windowMs: 20, maxBatch: 4, maxQueue: 1000 });
    await Promise.all([3, 3, 9].map((n) => b.submit(ones(n), n)));
    expect(sizes).toEqual([3, 3, 9]);
  });

  it("answers 503 with Retry-After when the queue is full, and serves what it accepted", async () => {
    const b = new DynamicBatcher((_x, n) => new Float32Array(n * 10), { windowMs: 30, maxBatch: 64, maxQueue: 8 });
    const results = await Promise.allSettled([4, 4, 4].map((n) => b.submit(ones(n), n)));
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected"]);
    const err = (results[2] as PromiseRejectedResult).reason as ServeError;
    expect(err.status).toBe(503);
    expect(Number(err.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(err.message).toMatch(/busy: 8 images are waiting \(limit 8\)/);
    expect(b.stats.rejected).toBe(1);
  });
});

describe("JSON predict (TensorFlow Serving format)", () => {
  it("answers ten probabilities and the top class in English and Chinese, as the model itself", async () => {
    const images = [image(0), image(1)];
    const res = await predictJson("fashion-classifier/versions/2:predict", images);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.model).toEqual({ name: "fashion-classifier", version: 2, alias: null });
    const want = direct(models[1], images);
    expect(body.predictions).toHaveLength(2);
    body.predictions.forEach((p: number[], i: number) => {
      for (let c = 0; c < 10; c++) expect(p[c]).toBeCloseTo(want[i][c], 5);
    });
    const top = want[0].indexOf(Math.max(...want[0]));
    expect(body.classes[0]).toMatchObject({ index: top, en: expect.any(String), zh: expect.any(String) });
  });

  it("takes 28x28, 28x28x1 and base64 PNG instances, all the same image", async () => {
    const flat = image(3);
    const grid = Array.from({ length: 28 }, (_, y) => flat.slice(y * 28, y * 28 + 28));
    const nhwc = grid.map((row) => row.map((v) => [v]));
    const png = encodeGreyPng(testPixels.subarray(3 * 784, 4 * 784), 28, 28).toString("base64");
    const body = await (await predictJson("fashion-classifier@production:predict", [flat, grid, nhwc, { b64: png }])).json();
    expect(body.model).toEqual({ name: "fashion-classifier", version: 1, alias: "production" });
    for (const p of body.predictions.slice(1)) for (let c = 0; c < 10; c++) expect(p[c]).toBeCloseTo(body.predictions[0][c], 6);
  });

  it("serves metadata: input shape, classes, version, source run, test accuracy", async () => {
    const res = await handleModelGet(["fashion-classifier@production"], store);
    const meta = await res.json();
    expect(meta).toMatchObject({ name: "fashion-classifier", version: 1, alias: "production", inputShape: [null, 28, 28, 1], sourceRun: { name: "v1 run" }, testAccuracy: 0.51 });
    expect(meta.classes[9]).toEqual({ index: 9, en: "Ankle boot", zh: "短靴" });
    expect(meta.serving).toMatchObject({ batches: expect.any(Number), images: expect.any(Number), rejected: 0, queuedImages: 0 });
    expect(meta.backend).toMatch(/^(native|wasm|cpu)$/);
    // Predictions run in their own thread, not the one answering requests.
    expect(meta.backendNote).toMatch(/in an inference thread/);
  });
});

describe("bad input gets a 4xx with a message, never a 500", () => {
  const ok = image(0);
  const cases: [string, () => Promise<Response>, number, RegExp][] = [
    ["not JSON", () => post("fashion-classifier@production:predict", "{instances:"), 400, /not valid JSON/],
    ["NaN (not JSON)", () => post("fashion-classifier@production:predict", '{"instances":[[NaN]]}'), 400, /NaN and Infinity are not JSON numbers/],
    ["no instances", () => post("fashion-classifier@production:predict", '{"inputs":[]}'), 400, /no "instances" \("inputs", the columnar format, is not supported/],
    ["instances not an array", () => post("fashion-classifier@production:predict", '{"instances":{}}'), 400, /"instances" must be an array/],
    ["empty instances", () => predictJson("fashion-classifier@production:predict", []), 400, /"instances" is empty/],
    ["wrong length", () => predictJson("fashion-classifier@production:predict", [ok.slice(0, 100)]), 400, /instances\[0\]: expected 784 numbers, 28x28 or 28x28x1, got an array of 100/],
    ["a ragged 28x28", () => predictJson("fashion-classifier@production:predict", [Array.from({ length: 28 }, (_, y) => new Array(y === 5 ? 27 : 28).fill(0))]), 400, /instances\[0\]\[5\]: expected a row of 28/],
    ["a string pixel", () => predictJson("fashion-classifier@production:predict", [[...ok.slice(0, 783), "0.5"]]), 400, /instances\[0\]\[783\]: expected a number in \[0,1\], got string/],
    ["a null pixel", () => predictJson("fashion-classifier@production:predict", [ok, [null, ...ok.slice(1)]]), 400, /instances\[1\]\[0\]: expected a number/],
    ["0..255 pixels", () => predictJson("fashion-classifier@production:predict", [ok.map((v) => v * 255)]), 400, /outside \[0,1\] \(scale 0..255 pixels to \[0,1\]: divide by 255\)/],
    ["a negative pixel", () => predictJson("fashion-classifier@production:predict", [[-0.1, ...ok.slice(1)]]), 400, /-0.1 is outside \[0,1\]/],
    ["an instance of the wrong type", () => predictJson("fashion-classifier@production:predict", ["hello"]), 400, /instances\[0\]: expected 784 numbers.*got string/],
    ["b64 that is not an image", () => predictJson("fashion-classifier@production:predict", [{ b64: Buffer.from("hello world").toString("base64") }]), 415, /instances\[0\].b64 is not a PNG, JPEG/],
    ["b64 not base64", () => predictJson("fashion-classifier@production:predict", [{ b64: "%%%" }]), 400, /expected a base64 string/],
    [`more than ${MAX_INSTANCES} instances`, () => post("fashion-classifier@production:predict", `{"instances":[${new Array(MAX_INSTANCES + 1).fill("[0]").join(",")}]}`), 413, /513 instances; the limit is 512/],
    ["a body over 8 MB", () => post("fashion-classifier@production:predict", new Uint8Array(9 * 1024 * 1024)), 413, /over the 8 MB limit/],
    ["unknown model", () => predictJson("nope@production:predict", [ok]), 404, /No registered model named "nope"/],
    ["unknown version", () => predictJson("fashion-classifier/versions/7:predict", [ok]), 404, /has no version 7 \(its versions are 1, 2\)/],
    ["unknown alias", () => predictJson("fashion-classifier@canary:predict", [ok]), 404, /has no alias @canary \(its aliases are @production\)/],
    ["version 0", () => predictJson("fashion-classifier/versions/0:predict", [ok]), 404, /Versions start at 1/],
    ["a malformed path", () => predictJson("Fashion Classifier:predict", [ok]), 404, /No such endpoint/],
    ["an unknown verb", () => predictJson("fashion-classifier@production:explain", [ok]), 404, /Unknown method :explain/],
    ["a photo that does not decode", () => post("fashion-classifier@production:classify", Buffer.concat([encodeGreyPng(new Uint8Array(784), 28, 28).subarray(0, 40), Buffer.alloc(20)]), "image/png"), 400, /could not be decoded: it starts like a PNG file/],
    ["a photo over 10 MB", () => post("fashion-classifier@production:classify", new Uint8Array(11 * 1024 * 1024), "image/jpeg"), 413, /over the 10 MB limit/],
    ["an empty photo", () => post("fashion-classifier@production:classify", new Uint8Array(0), "image/png"), 400, /the image is empty/],
    ["a text file as a photo", () => post("fashion-classifier@production:classify", "just text", "application/octet-stream"), 415, /not a PNG, JPEG, WebP or GIF/],
    ["JSON to the photo endpoint", () => post("fashion-classifier@production:classify", "{}"), 415, /JSON goes to :predict/],
    ["multipart without a file", () => { const f = new FormData(); f.set("note", "x"); return handleModelPost(new Request("http://t/x", { method: "POST", body: f }), ["fashion-classifier@production:classify"], store); }, 400, /has no file/],
  ];

  it.each(cases)("%s", async (_name, call, status, message) => {
    const loadsBefore = store.stats.loads;
    const registryBefore = await api.registry.byName({ name: "fashion-classifier" });
    const res = await call();
    expect(res.status).toBe(status);
    expect((await res.json()).error).toMatch(message);
    expect(await api.registry.byName({ name: "fashion-classifier" })).toEqual(registryBefore);
    expect(store.stats.loads).toBe(loadsBefore);
  });

  it("refuses a photo over 50 megapixels from its header, before decoding", async () => {
    // A real 1x1 PNG whose header claims 8000x7000: refused on the header alone.
    const big = encodeGreyPng(new Uint8Array(1), 1, 1);
    big.writeUInt32BE(8000, 16);
    big.writeUInt32BE(7000, 20);
    const res = await post("fashion-classifier@production:classify", big, "image/png");
    expect(res.status).toBe(413);
    expect((await res.json()).error).toMatch(/8000x7000 pixels, more than the 50 megapixels/);
  });

  it("needs the serving token only when one is configured", async () => {
    process.env.FMNIST_SERVE_TOKEN = "serve-secret";
    try {
      const res = await predictJson("fashion-classifier@production:predict", [ok]);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe("Bearer");
      const authed = await post("fashion-classifier@production:predict", JSON.stringify({ instances: [ok] }), "application/json", { authorization: "Bearer serve-secret" });
      expect(authed.status).toBe(200);
    } finally {
      delete process.env.FMNIST_SERVE_TOKEN;
    }
  });
});

describe("the photo endpoint", () => {
  it("gives a 28x28 test PNG exactly the JSON predict answer for its pixels", async () => {
    const png = encodeGreyPng(testPixels.subarray(5 * 784, 6 * 784), 28, 28);
    const res = await post("fashion-classifier@production:classify", png, "image/png");
    const body = await res.json();
    // Taken as it is, on the default segmentation too: IS-Net is not run on a 28x28 picture.
    expect(body.preprocessing).toMatchObject({ width: 28, height: 28, format: "png", inverted: false, box: { x: 0, y: 0, width: 28, height: 28 }, segmentation: "border" });
    expect(body.preprocessing.views).toHaveLength(1);
    const want = direct(models[0], [image(5)])[0];
    for (let c = 0; c < 10; c++) expect(Math.abs(body.probabilities[c] - want[c])).toBeLessThan(1e-6);
  });

  it("classifies a real JPEG photo (raw bytes and multipart give the same answer)", { timeout: 60_000 }, async () => {
    const folder = join(REAL_PHOTOS, "7-sneaker");
    const file = join(folder, readdirSync(folder).filter((f) => f.endsWith(".jpg"))[0]);
    const bytes = readFileSync(file);
    const raw = await (await post("fashion-classifier@production:classify", bytes, "image/jpeg")).json();
    const form = new FormData();
    form.set("image", new Blob([bytes], { type: "image/jpeg" }), "shoe.jpg");
    const multi = await (await handleModelPost(new Request("http://t/x", { method: "POST", body: form }), ["fashion-classifier@production:classify"], store)).json();
    expect(raw.preprocessing.format).toBe("jpeg");
    expect(raw.preprocessing.inverted).toBe(true); // product photos are on white
    expect(raw.preprocessing.box.width).toBeGreaterThan(0);
    expect(multi.probabilities).toEqual(raw.probabilities);
    expect(raw.class.en).toBe(["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"][raw.class.index]);
  });

  it("finds the item with IS-Net on ?segment=isnet, and refuses an unknown segmentation", { timeout: 60_000 }, async () => {
    // A grey pullover on a red bed sheet, a white cushion at the right edge (400x300).
    const bytes = new Uint8Array(readFileSync(join(REAL_PHOTOS, "2-pullover/cds-14c2f75c.jpg")));
    const classify = (query: string) =>
      handleModelPost(new Request(`http://test/api/v1/models/fashion-classifier@production:classify${query}`, { method: "POST", body: bytes, headers: { "content-type": "image/jpeg" } }), ["fashion-classifier@production:classify"], store);
    const border = await (await classify("?segment=border")).json();
    const isnet = await (await classify("?segment=isnet")).json();
    expect(border.preprocessing.segmentation).toBe("border");
    expect(isnet.preprocessing.segmentation).toBe("isnet");
    // The border model takes the cushion; IS-Net the pullover (x 5-395, y 60-260 on the picture).
    expect(border.preprocessing.box.x).toBeGreaterThan(300);
    expect(isnet.preprocessing.box.x).toBeLessThan(25);
    expect(isnet.preprocessing.box.width).toBeGreaterThan(350);
    // Both views: the probabilities are the mean of the two views' own.
    const both = await (await classify("?segment=both")).json();
    // Without ?segment=, IS-Net (the classify page's default too).
    expect((await (await classify("")).json()).probabilities).toEqual(isnet.probabilities);
    expect(both.preprocessing.views.map((v: { segmentation: string }) => v.segmentation)).toEqual(["border", "isnet"]);
    expect(both.preprocessing.views[0].box).toEqual(border.preprocessing.box);
    expect(both.preprocessing.views[1].box).toEqual(isnet.preprocessing.box);
    for (let c = 0; c < 10; c++) {
      expect(both.preprocessing.views[1].probabilities[c]).toBeCloseTo(isnet.probabilities[c], 6);
      expect(both.probabilities[c]).toBeCloseTo((border.probabilities[c] + isnet.probabilities[c]) / 2, 6);
    }
    // IS-Net failing to load (weights missing, say): "isnet" and "both" answer with the border
    // model's view and say so.
    const broken = () => Promise.reject(new Error("weights missing (test)"));
    for (const segmentation of ["isnet", "both"] as const) {
      const fallback = await photoViews(bytes, "the image", segmentation, undefined, broken);
      expect(fallback.views.map((v) => v.segmentation)).toEqual(["border"]);
      expect(fallback.views[0].box).toEqual(border.preprocessing.box);
      expect(fallback.note).toMatch(/IS-Net could not be loaded \(weights missing \(test\)\); the border model's view alone was classified/);
      expect((await photoViews(bytes, "the image", segmentation)).note).toBeNull();
    }
    const bad = await classify("?segment=grabcut");
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatch(/\?segment must be one of border, isnet, both, not "grabcut"/);
  });
});

describe("an overfull queue", () => {
  it("answers 503 with Retry-After over HTTP, serves what it accepted, and changes nothing", { timeout: 30_000 }, async () => {
    Object.assign(process.env, { FMNIST_SERVE_MAX_QUEUE: "2", FMNIST_SERVE_BATCH_WINDOW_MS: "200" });
    const small = new ModelStore(api);
    try {
      await small.get({ name: "fashion-classifier", version: 2 });
      const send = () =>
        handleModelPost(
          new Request("http://t/x", { method: "POST", body: JSON.stringify({ instances: [image(0)] }), headers: { "content-type": "application/json" } }),
          ["fashion-classifier/versions/2:predict"],
          small,
        );
      const before = await api.registry.byName({ name: "fashion-classifier" });
      const answers = await Promise.all([send(), send(), send()]);
      expect(answers.map((r) => r.status).sort()).toEqual([200, 200, 503]);
      const busy = answers.find((r) => r.status === 503) as Response;
      expect(Number(busy.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect((await busy.json()).error).toMatch(/The server is busy: 2 images are waiting \(limit 2\)/);
      expect(await api.registry.byName({ name: "fashion-classifier" })).toEqual(before);
    } finally {
      small.close();
      delete process.env.FMNIST_SERVE_MAX_QUEUE;
      delete process.env.FMNIST_SERVE_BATCH_WINDOW_MS;
    }
  });
});

describe("models stay loaded, and reload when an alias moves", () => {
  it("loads a version once, and serves the new version as soon as @production moves", { timeout: 30_000 }, async () => {
    const images = [image(7)];
    const first = await (await predictJson("fashion-classifier@production:predict", images)).json();
    const loads = store.stats.loads;
    await predictJson("fashion-classifier@production:predict", images);
    expect(store.stats.loads).toBe(loads); // kept in memory

    await api.registry.setAlias({ name: "fashion-classifier", alias: "production", version: 2 });
    const moved = await (await predictJson("fashion-classifier@production:predict", images)).json();
    expect(first.model.version).toBe(1);
    expect(moved.model.version).toBe(2);
    const want = direct(models[1], images)[0];
    for (let c = 0; c < 10; c++) expect(moved.predictions[0][c]).toBeCloseTo(want[c], 5);
    expect(moved.predictions[0]).not.toEqual(first.predictions[0]);
  });

  it("another replica (its own store) sees the move once its resolution cache expires", { timeout: 30_000 }, async () => {
    process.env.FMNIST_SERVE_RESOLVE_TTL_MS = "50";
    const replica = new ModelStore(createCaller(createTRPCContext({ db })));
    try {
      expect((await replica.get({ name: "fashion-classifier", alias: "production" })).meta.version).toBe(2);
      // A move made by another process: straight to the database, no in-process notice.
      const model = await db.registeredModel.findUniqueOrThrow({ where: { name: "fashion-classifier" }, include: { versions: true } });
      const v1 = model.versions.find((v) => v.version === 1);
      await db.modelAlias.update({ where: { modelId_alias: { modelId: model.id, alias: "production" } }, data: { versionId: v1?.id } });
      await new Promise((r) => setTimeout(r, 80));
      expect((await replica.get({ name: "fashion-classifier", alias: "production" })).meta.version).toBe(1);
    } finally {
      replica.close();
      delete process.env.FMNIST_SERVE_RESOLVE_TTL_MS;
    }
  });
});
