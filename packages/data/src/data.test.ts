import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { downloadDataset } from "./download";
import { DATASET_FILES, DEBIAN_DIR } from "./files";
import { FIXTURE_DIR } from "./fixture";
import { DatasetFileError, encodeIdx, parseIdx } from "./idx";
import { loadFashionMnist, readDataset } from "./load";
import { DatasetNotFoundError, hasAllFiles } from "./locate";
import { gather, stratifiedSplit } from "./split";

const tmp = mkdtempSync(join(tmpdir(), "fmnist-data-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("IDX parsing", () => {
  const images = encodeIdx([2, 28, 28], new Uint8Array(2 * 784).fill(7));

  it("parses big-endian dims and data", () => {
    const r = parseIdx(images, "x", 3);
    expect(r.dims).toEqual([2, 28, 28]);
    expect(r.data.length).toBe(1568);
    expect(r.data[100]).toBe(7);
  });

  it("rejects a truncated file naming it and the sizes", () => {
    expect(() => parseIdx(images.subarray(0, images.length - 10), "train-images-idx3-ubyte.gz", 3)).toThrow(
      "train-images-idx3-ubyte.gz: truncated: header says 2x28x28 = 1568 bytes of data but the file has 1558",
    );
  });

  it("rejects a wrong magic number", () => {
    const bad = images.slice();
    bad[3] = 0x02;
    expect(() => parseIdx(bad, "t10k-images-idx3-ubyte", 3)).toThrow(/t10k-images-idx3-ubyte: wrong magic number 0x00000802/);
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]);
    expect(() => parseIdx(png, "f")).toThrow(DatasetFileError);
  });

  it("rejects labels where images are expected", () => {
    expect(() => parseIdx(encodeIdx([3], new Uint8Array(3)), "f", 3)).toThrow(/1 dimension\(s\), expected 3/);
  });
});

describe("fixture", () => {
  it("is a real stratified subset with its own checksums", () => {
    const ds = readDataset(FIXTURE_DIR, "fixture");
    expect(ds.train.count).toBe(2000);
    expect(ds.test.count).toBe(500);
    expect(ds.subset).toMatch(/subset/);
    const counts = new Array(10).fill(0);
    for (const l of ds.train.labels) counts[l]++;
    expect(counts).toEqual(new Array(10).fill(200));
  });
});

describe("split", () => {
  it("is stratified, disjoint, complete and seeded", () => {
    const labels = new Uint8Array(1000).map((_, i) => i % 10);
    const a = stratifiedSplit(labels, 0.2, 1);
    expect(a.validation.length).toBe(200);
    expect(a.train.length).toBe(800);
    expect(new Set([...a.train, ...a.validation]).size).toBe(1000);
    const valCounts = new Array(10).fill(0);
    for (const i of a.validation) valCounts[labels[i]]++;
    expect(valCounts).toEqual(new Array(10).fill(20));
    expect(Array.from(stratifiedSplit(labels, 0.2, 1).validation)).toEqual(Array.from(a.validation));
    expect(Array.from(stratifiedSplit(labels, 0.2, 2).validation)).not.toEqual(Array.from(a.validation));
    expect(() => stratifiedSplit(labels, 1, 1)).toThrow(RangeError);
  });

  it("gather picks images and labels by index", () => {
    const imgs = new Uint8Array(3 * 784).map((_, i) => Math.floor(i / 784));
    const g = gather(imgs, new Uint8Array([5, 6, 7]), [2, 0]);
    expect(Array.from(g.labels)).toEqual([7, 5]);
    expect(g.images[0]).toBe(2);
    expect(g.images[784]).toBe(0);
  });
});

describe("locating and downloading", () => {
  it("says the three ways to provide the data when nothing is found", async () => {
    const err = await loadFashionMnist({ dir: join(tmp, "nothing"), download: false }).catch((e) => e);
    expect(err).toBeInstanceOf(DatasetNotFoundError);
    expect(err.message).toMatch(/apt-get install -y dataset-fashion-mnist/);
    expect(err.message).toMatch(/FASHION_MNIST_DIR=/);
    expect(err.message).toMatch(/Allow internet access/);
    const withDownload = new DatasetNotFoundError(["/a", "/cache"], "getaddrinfo ENOTFOUND");
    expect(withDownload.message).toMatch(/Download from http.* failed: getaddrinfo ENOTFOUND/);
  });

  it("rejects a corrupt gzip and a wrong checksum, naming the file", () => {
    const dir = join(tmp, "bad");
    const copy = () => {
      rmSync(dir, { recursive: true, force: true });
      cpSync(FIXTURE_DIR, dir, { recursive: true });
    };
    copy();
    writeFileSync(join(dir, "train-labels-idx1-ubyte.gz"), Buffer.from("this is not gzip"));
    expect(() => readDataset(dir)).toThrow(/train-labels-idx1-ubyte\.gz: is not a valid gzip file/);
    copy();
    writeFileSync(join(dir, "train-labels-idx1-ubyte.gz"), gzipSync(encodeIdx([2000], new Uint8Array(2000))));
    expect(() => readDataset(dir)).toThrow(/train-labels-idx1-ubyte\.gz: sha256 of the decompressed bytes is [0-9a-f]{64}, expected/);
  });

  it("downloads from a mirror, verifies, and leaves no partial file when a file is bad", async () => {
    // Serves the fixture files under the real names; their checksums differ from the official
    // ones, so the first file fails verification: nothing may be left in the cache.
    const server: Server = createServer((req, res) => {
      const name = req.url!.slice(1);
      try {
        const body = readFileSync(join(FIXTURE_DIR, name));
        res.writeHead(200, { "content-length": body.length });
        res.end(body);
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const dir = join(tmp, "dl");
    const err = await downloadDataset(dir, { mirror, progress: false }).catch((e) => e);
    expect(err.message).toMatch(/train-images-idx3-ubyte\.gz: decompressed size is 1568016 bytes, expected 47040016/);
    expect(readdirSync(dir)).toEqual([]);
    const missing = await downloadDataset(dir, { mirror: `${mirror}nope/`, progress: false }).catch((e) => e);
    expect(missing.message).toMatch(/answered 404/);
    server.close();
  });
});

describe.skipIf(!hasAllFiles(DEBIAN_DIR) && !process.env.FASHION_MNIST_DIR)("the real dataset", () => {
  it("verifies and has 6,000 training images of each class and 1,000 test images of each", async () => {
    const ds = await loadFashionMnist({ download: false });
    expect(ds.train.count).toBe(60_000);
    expect(ds.test.count).toBe(10_000);
    expect(ds.subset).toBeUndefined();
    const train = new Array(10).fill(0);
    for (const l of ds.train.labels) train[l]++;
    expect(train).toEqual(new Array(10).fill(6000));
    const test = new Array(10).fill(0);
    for (const l of ds.test.labels) test[l]++;
    expect(test).toEqual(new Array(10).fill(1000));
    expect(ds.train.images.length).toBe(DATASET_FILES.trainImages.bytes - 16);
  });

  it("downloads and verifies the real files from a local mirror into an empty cache", async () => {
    const ds = await loadFashionMnist({ download: false });
    const server = createServer((req, res) => {
      res.end(readFileSync(join(ds.dir, req.url!.slice(1))));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const dir = join(tmp, "dl-real");
    await downloadDataset(dir, { mirror: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, progress: false });
    server.close();
    expect(readdirSync(dir).sort()).toHaveLength(4);
    expect(readDataset(dir).train.count).toBe(60_000);
  });
});
