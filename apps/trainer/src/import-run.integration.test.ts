import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEBIAN_DIR, hasAllFiles, readDataset } from "@fmnist/data";
import { createDb, type Db } from "@fmnist/db/client";
import { migrate } from "@fmnist/db/migrate";
import { KerasImportError } from "@fmnist/keras-import";
import { haveFixtures, KERAS_MODELS_DIR, readGroundTruth } from "@fmnist/keras-import/ground-truth";
import { accuracy, argmaxRows } from "@fmnist/model";
import * as tf from "@tensorflow/tfjs";
import { strToU8, unzipSync, zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { predictProbabilities } from "./batches";
import { importModelRun, sourceFilePath } from "./import-run";
import { runWorker } from "./worker";

const tmp = mkdtempSync(join(tmpdir(), "fmnist-import-"));
const artifacts = join(tmp, "artifacts");
const cli = fileURLToPath(new URL("./cli.ts", import.meta.url));
let db: Db;
const url = `file:${join(tmp, "import.db")}`;

beforeAll(async () => {
  await migrate(url);
  db = createDb(url);
});
afterAll(async () => {
  await db?.$disconnect();
  rmSync(tmp, { recursive: true, force: true });
});

/** Stock tf.loadLayersModel over HTTP, as a browser (and verify-export) loads an exported run. */
async function reload(dir: string): Promise<tf.LayersModel> {
  const server = createServer((req, res) => res.end(readFileSync(join(dir, req.url!.slice(1)))));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    return await tf.loadLayersModel(`http://127.0.0.1:${(server.address() as AddressInfo).port}/model.json`);
  } finally {
    server.close();
  }
}

const fixture = (name: string) => new Uint8Array(readFileSync(join(KERAS_MODELS_DIR, name)));
const filesUnder = (dir: string): string[] => {
  try {
    return readdirSync(dir, { recursive: true }).map(String);
  } catch {
    return [];
  }
};

describe.skipIf(!haveFixtures || !hasAllFiles(DEBIAN_DIR))("imported runs from the five real Keras files", () => {
  const test = haveFixtures && hasAllFiles(DEBIAN_DIR) ? readDataset(DEBIAN_DIR).test : undefined;
  for (const truth of haveFixtures ? readGroundTruth() : []) {
    it(`${truth.file}: recorded like a trained run, the export reloads with the same accuracy`, async () => {
      const result = await importModelRun({ db, bytes: fixture(truth.file), fileName: truth.file, dataDir: DEBIAN_DIR, artifactsDir: artifacts });
      const run = await db.run.findUniqueOrThrow({ where: { id: result.runId }, include: { evaluation: true, artifacts: true, epochs: true } });
      expect(run).toMatchObject({
        kind: "imported",
        status: "SUCCEEDED",
        architecture: "imported",
        epochsPlanned: 0,
        epochsCompleted: 0,
        sourceFileName: truth.file,
        sourceSha256: truth.sha256,
        sourceFormat: truth.file.endsWith(".h5") ? "h5" : "keras",
        kerasVersion: truth.kerasVersion,
        name: `${truth.file} (Keras ${truth.kerasVersion})`,
      });
      expect(run.epochs).toEqual([]);
      expect((run.config as { source: { params: number } }).source.params).toBe(truth.params);
      expect(Math.abs(run.testAccuracy! - truth.accuracy)).toBeLessThanOrEqual(0.0005);
      expect(run.evaluation!.confusionMatrix).toEqual(truth.confusion);
      expect(await db.misclassified.count({ where: { evaluationId: run.evaluation!.id } })).toBe(Math.round((1 - run.testAccuracy!) * 10_000));
      expect(run.artifacts.map((a) => a.kind).sort()).toEqual(["keras-source", "tfjs-layers-model", "tfjs-weights"]);
      expect(readFileSync(sourceFilePath(artifacts, run.id, run.sourceFormat!))).toEqual(Buffer.from(fixture(truth.file)));

      const reloaded = await reload(result.modelDir);
      expect(reloaded.countParams()).toBe(truth.params);
      const predicted = argmaxRows(await predictProbabilities(reloaded, test!.images, test!.labels));
      expect(accuracy(test!.labels, predicted)).toBe(run.testAccuracy);
      reloaded.dispose();
    }, 240_000);
  }
});

describe.skipIf(!haveFixtures || !hasAllFiles(DEBIAN_DIR))("refused files record nothing and write nothing", () => {
  it("a config with an unknown layer, through importModelRun", async () => {
    const files = unzipSync(fixture("k3-cnn241546.keras"));
    const config = JSON.parse(new TextDecoder().decode(files["config.json"]));
    config.config.layers[2].class_name = "CustomPooling";
    const bytes = zipSync({ ...files, "config.json": strToU8(JSON.stringify(config)) });
    const runsBefore = await db.run.count();
    const filesBefore = filesUnder(artifacts);
    const error = await importModelRun({ db, bytes, fileName: "custom.keras", dataDir: DEBIAN_DIR, artifactsDir: artifacts }).catch((e) => e);
    expect(error).toBeInstanceOf(KerasImportError);
    expect(error.message).toMatch(/layer max_pooling2d: the Keras layer class CustomPooling is not supported/);
    expect(await db.run.count()).toBe(runsBefore);
    expect(filesUnder(artifacts)).toEqual(filesBefore);
  });

  it("a zip-slip archive and a truncated file, through `pnpm import-model`", () => {
    const cliDb = `file:${join(tmp, "cli.db")}`;
    const cliArtifacts = join(tmp, "cli-artifacts");
    const evil = join(tmp, "evil.keras");
    writeFileSync(evil, zipSync({ ...unzipSync(fixture("k215-cnn.keras")), "../../outside.txt": strToU8("escaped") }));
    const truncated = join(tmp, "truncated.h5");
    writeFileSync(truncated, fixture("k2-cnn.h5").subarray(0, 600_000));
    for (const [file, message] of [
      [evil, /error: refused: refused \.keras archive: entry "\.\.\/\.\.\/outside\.txt" has a path that escapes the archive/],
      [truncated, /error: refused: truncated\.h5 is a truncated or corrupt HDF5 file/],
    ] as const) {
      const res = spawnSync(process.execPath, ["--import", "tsx", cli, "import-model", file, "--data-dir", DEBIAN_DIR, "--backend", "cpu"], {
        env: { ...process.env, DATABASE_URL: cliDb, ARTIFACTS_DIR: cliArtifacts },
        encoding: "utf8",
        timeout: 60_000,
      });
      expect(res.status).toBe(1);
      expect(res.stderr).toMatch(message);
      expect(res.stdout).toBe("");
    }
    expect(filesUnder(cliArtifacts)).toEqual([]);
    expect(readdirSync(tmp)).not.toContain("outside.txt");
    const cliClient = createDb(cliDb);
    return cliClient.run.count().then(async (n) => {
      expect(n).toBe(0);
      await cliClient.$disconnect();
    });
  });
});

describe.skipIf(!haveFixtures || !hasAllFiles(DEBIAN_DIR))("an upload queued for a worker", () => {
  it("the worker imports the stored file and the run ends SUCCEEDED", async () => {
    const truth = readGroundTruth().find((t) => t.file === "k215-cnn.keras")!;
    // What the dashboard's upload route records: a QUEUED imported run and its file, nothing else.
    const run = await db.run.create({
      data: { name: "uploaded", architecture: "imported", kind: "imported", config: { name: "uploaded" }, seed: 0, epochsPlanned: 0, status: "QUEUED", sourceFileName: truth.file, sourceFormat: "keras", sourceSha256: truth.sha256, kerasVersion: truth.kerasVersion },
    });
    mkdirSync(join(artifacts, "runs", run.id), { recursive: true });
    writeFileSync(sourceFilePath(artifacts, run.id, "keras"), fixture(truth.file));
    const processed = await runWorker({ db, workerId: "test-worker", dataDir: DEBIAN_DIR, artifactsDir: artifacts, exitWhenIdle: true, log: () => {} });
    expect(processed).toBe(1);
    const done = await db.run.findUniqueOrThrow({ where: { id: run.id }, include: { evaluation: true } });
    expect(done).toMatchObject({ status: "SUCCEEDED", kind: "imported", name: "uploaded", epochsPlanned: 0 });
    expect(done.testAccuracy).toBeCloseTo(truth.accuracy, 4);
    expect(done.evaluation!.confusionMatrix).toEqual(truth.confusion);
    expect(done.progress).toMatchObject({ phase: "evaluating", batch: 10_000, batches: 10_000 });
  });
});
