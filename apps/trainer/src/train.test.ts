import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FIXTURE_DIR, readDataset } from "@fmnist/data";
import { createDb, type Db } from "@fmnist/db/client";
import { migrate } from "@fmnist/db/migrate";
import { trainConfigSchema } from "@fmnist/model";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { predictProbabilities } from "./batches";
import { train } from "./train";

const tmp = mkdtempSync(join(tmpdir(), "fmnist-trainer-"));
const artifactsDir = join(tmp, "artifacts");
let db: Db;

beforeAll(async () => {
  const url = `file:${join(tmp, "test.db")}`;
  await migrate(url);
  db = createDb(url);
});
afterAll(async () => {
  await db?.$disconnect();
  rmSync(tmp, { recursive: true, force: true });
});

const config = (over: Record<string, unknown> = {}) =>
  trainConfigSchema.parse({ name: "test run", architecture: "reference-cnn", epochs: 3, patience: 0, maxTrainImages: 640, backend: "wasm", seed: 7, ...over });

describe("train on the fixture (wasm backend)", () => {
  let result: Awaited<ReturnType<typeof train>>;
  beforeAll(async () => {
    result = await train({ db, config: config(), dataDir: FIXTURE_DIR, artifactsDir, progressIntervalMs: 0 });
  }, 120_000);

  it("lowers the loss, records every epoch and the evaluation, and succeeds", async () => {
    expect(result.status).toBe("SUCCEEDED");
    expect(result.backend).toBe("wasm");
    expect(result.epochs).toHaveLength(3);
    expect(result.epochs[2].loss).toBeLessThan(result.epochs[0].loss);
    const run = await db.run.findUniqueOrThrow({
      where: { id: result.runId },
      include: { epochs: { orderBy: { epoch: "asc" } }, evaluation: { include: { misclassified: true } }, artifacts: true },
    });
    expect(run.status).toBe("SUCCEEDED");
    expect(run.backend).toBe("wasm");
    expect(run.datasetChecksum).toMatch(/^[0-9a-f]{64}$/);
    // The config is stored exactly as requested; what the trainer resolved has columns of its own.
    expect(run.config).toEqual(config());
    expect(run.datasetDir).toBe(FIXTURE_DIR);
    expect(run.datasetSubset).toMatch(/2000 train/);
    expect(run.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(run.epochs[0].valAccuracy).toBeGreaterThan(0);
    expect(run.progress).toMatchObject({ epochs: 3, batches: 8 });
    const ev = run.evaluation!;
    expect(ev.numExamples).toBe(500);
    const cm = ev.confusionMatrix as number[][];
    expect(cm.flat().reduce((a, b) => a + b, 0)).toBe(500);
    const correct = cm.reduce((s, row, i) => s + row[i], 0);
    expect(ev.testAccuracy).toBeCloseTo(correct / 500, 10);
    expect(ev.misclassified).toHaveLength(500 - correct);
    expect(run.artifacts.map((a) => a.path).sort()).toEqual([`runs/${run.id}/model.json`, `runs/${run.id}/weights.bin`]);
  });

  it("keeps the checkpoint with the best validation accuracy (the first on ties)", async () => {
    const epochs = await db.epochMetric.findMany({ where: { runId: result.runId }, orderBy: { epoch: "asc" } });
    const best = epochs.reduce((a, e) => (e.valAccuracy! > a.valAccuracy! ? e : a));
    const run = await db.run.findUniqueOrThrow({ where: { id: result.runId } });
    expect(run.bestEpoch).toBe(best.epoch);
    expect(run.bestValAccuracy).toBe(best.valAccuracy);
  });

  it("leaks no tensors across epochs", () => {
    const t = result.tensorsAfterEpoch;
    expect(t.length).toBe(3);
    // After the first epoch (best-weights copy created), the count stays flat.
    expect(t[2]).toBe(t[1]);
  });

  it("exports a model that stock tf.loadLayersModel loads over HTTP with the recorded test accuracy", async () => {
    const dir = join(artifactsDir, "runs", result.runId);
    const server = createServer((req, res) => res.end(readFileSync(join(dir, req.url!.slice(1)))));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const model = await tf.loadLayersModel(`http://127.0.0.1:${(server.address() as AddressInfo).port}/model.json`);
    server.close();
    const test = readDataset(FIXTURE_DIR).test;
    const probs = await predictProbabilities(model, test.images, test.labels);
    let correct = 0;
    for (let i = 0; i < test.count; i++) {
      const row = Array.from(probs.subarray(i * 10, i * 10 + 10));
      if (row.indexOf(Math.max(...row)) === test.labels[i]) correct++;
    }
    const run = await db.run.findUniqueOrThrow({ where: { id: result.runId } });
    expect(correct / test.count).toBe(run.testAccuracy);
    model.dispose();
  });
});

describe("weight averaging (averageLastEpochs)", () => {
  it("exports the mean of the last epochs' weights and records its own validation figures", async () => {
    const averaged = await train({ db, config: config({ epochs: 3, averageLastEpochs: 2 }), dataDir: FIXTURE_DIR, artifactsDir, progressIntervalMs: 0 });
    expect(averaged.status).toBe("SUCCEEDED");
    expect(averaged.bestEpoch).toBe(3);
    const run = await db.run.findUniqueOrThrow({ where: { id: averaged.runId }, include: { epochs: true } });
    expect(run.bestEpoch).toBe(3);
    // Its validation accuracy is the averaged model's, which need not be any epoch's; the exported
    // model gives the recorded test accuracy (checked for every export by the test above).
    expect(run.bestValAccuracy).toBeGreaterThan(0);
    expect(run.bestValLoss).not.toBe(run.epochs.find((e) => e.epoch === 3)?.valLoss);
    expect(run.testAccuracy).toBeGreaterThan(0.3);
  }, 120_000);
});

describe("failures and cancellation", () => {
  it("a corrupt dataset file marks the run FAILED with a message naming the file", async () => {
    const dir = join(tmp, "corrupt");
    cpSync(FIXTURE_DIR, dir, { recursive: true });
    const f = join(dir, "train-images-idx3-ubyte.gz");
    writeFileSync(f, readFileSync(f).subarray(0, 5000));
    const err = await train({ db, config: config({ name: "corrupt" }), dataDir: dir, artifactsDir }).catch((e) => e);
    expect(err.message).toMatch(/train-images-idx3-ubyte\.gz/);
    const run = await db.run.findFirstOrThrow({ where: { name: "corrupt" } });
    expect(run.status).toBe("FAILED");
    expect(run.error).toMatch(/train-images-idx3-ubyte\.gz: is not a valid gzip file/);
    expect(run.finishedAt).not.toBeNull();
  });

  it("stops within a batch when cancel is requested and marks the run CANCELLED, keeping its epochs", async () => {
    let batches = 0;
    const result = await train({
      db,
      config: config({ name: "cancel me", architecture: "tiny-cnn", epochs: 5 }),
      dataDir: FIXTURE_DIR,
      artifactsDir,
      progressIntervalMs: 0,
      reporter: {
        runStarted() {},
        log() {},
        epochStarted() {},
        epochEnded() {},
        finished() {},
        batch(p) {
          batches++;
          // Cancel from "the dashboard" during epoch 2 (Prisma queries run only once awaited/then'd).
          if (p.epoch === 2 && p.batch === 3) {
            db.run.updateMany({ where: { name: "cancel me" }, data: { cancelRequested: true } }).then(() => undefined);
          }
        },
      },
    });
    expect(result.status).toBe("CANCELLED");
    const run = await db.run.findUniqueOrThrow({ where: { id: result.runId }, include: { epochs: true } });
    expect(run.status).toBe("CANCELLED");
    expect(run.epochs).toHaveLength(1);
    expect(batches).toBeLessThanOrEqual(8 + 5);
  });
});
