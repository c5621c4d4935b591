import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KerasImportError } from "@fmnist/keras-import";
import { haveFixtures, KERAS_MODELS_DIR, readGroundTruth } from "@fmnist/keras-import/ground-truth";
import { strToU8, unzipSync, zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, failure, type TestDb } from "../../test/db";
import { queueImport } from "./queue-import";

const fixture = (name: string) => new Uint8Array(readFileSync(join(KERAS_MODELS_DIR, name)));
const list = (dir: string) => {
  try {
    return readdirSync(dir, { recursive: true }).map(String).sort();
  } catch {
    return [];
  }
};

function withConfig(edit: (c: Record<string, any>) => void): Uint8Array {
  const files = unzipSync(fixture("k3-cnn241546.keras"));
  const config = JSON.parse(new TextDecoder().decode(files["config.json"]));
  edit(config);
  return zipSync({ ...files, "config.json": strToU8(JSON.stringify(config)) });
}

describe.skipIf(!haveFixtures)("queueImport (the dashboard upload)", () => {
  let t: TestDb;
  const root = mkdtempSync(join(tmpdir(), "fmnist-upload-"));
  beforeAll(async () => {
    t = await createTestDb("sqlite");
  });
  afterAll(async () => {
    await t.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("an accepted file: a QUEUED imported run with its source fields, the file stored under a fixed name", async () => {
    const truth = readGroundTruth().find((g) => g.file === "k2-cnn.h5")!;
    const queued = await queueImport({ db: t.db, bytes: fixture(truth.file), fileName: truth.file, name: " notebook model ", artifactsRoot: root });
    expect(queued).toMatchObject({ name: "notebook model", format: "h5", kerasVersion: "2.2.4-tf", params: truth.params, sha256: truth.sha256 });
    const run = await t.db.run.findUniqueOrThrow({ where: { id: queued.id } });
    expect(run).toMatchObject({ status: "QUEUED", kind: "imported", epochsPlanned: 0, sourceFileName: "k2-cnn.h5", sourceFormat: "h5", sourceSha256: truth.sha256, kerasVersion: "2.2.4-tf" });
    expect(list(root)).toEqual(["runs", `runs/${run.id}`, `runs/${run.id}/source.h5`]);
    expect(readFileSync(join(root, "runs", run.id, "source.h5"))).toEqual(Buffer.from(fixture(truth.file)));
  }, 120_000);

  it("an imported run is not retried as a training run", async () => {
    const queued = await queueImport({ db: t.db, bytes: fixture("k215-cnn.keras"), fileName: "k215-cnn.keras", artifactsRoot: root });
    await t.db.run.update({ where: { id: queued.id }, data: { status: "FAILED", error: "worker died" } });
    const runs = await t.db.run.count();
    const error = await failure(() => t.api.runs.retry({ id: queued.id }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toMatch(/is an imported model, not a training run/);
    expect(await t.db.run.count()).toBe(runs);
  }, 60_000);

  const bad: [string, () => Uint8Array, string, RegExp][] = [
    ["a truncated file", () => fixture("k3-legacy-cnn.h5").subarray(0, 100_000), "cut.h5", /cut\.h5 is a truncated or corrupt HDF5 file/],
    ["a zip with ../ entries", () => zipSync({ ...unzipSync(fixture("k215-cnn.keras")), "../../../evil.sh": strToU8("#!/bin/sh") }), "evil.keras", /entry "\.\.\/\.\.\/\.\.\/evil\.sh" has a path that escapes/],
    [
      "a config with an unknown layer",
      () =>
        withConfig((c) => {
          c.config.layers[6].class_name = "Lambda";
        }),
      "lambda.keras",
      /layer flatten: the Keras layer class Lambda is not supported/,
    ],
    [
      "a weight of the wrong shape",
      () =>
        withConfig((c) => {
          c.config.layers[5].config.filters = 96;
        }),
      "shape.keras",
      /layer conv2d_2 \(Conv2D\): weight kernel has shape \[3, 3, 64, 128\] in the file, the layer's config needs \[3, 3, 64, 96\]/,
    ],
  ];
  for (const [what, bytes, fileName, message] of bad) {
    it(`${what}: refused with the reason, nothing recorded, nothing written`, async () => {
      const runs = await t.db.run.count();
      const files = list(root);
      const error = await queueImport({ db: t.db, bytes: bytes(), fileName, artifactsRoot: root }).catch((e) => e);
      expect(error).toBeInstanceOf(KerasImportError);
      expect(error.message).toMatch(message);
      expect(await t.db.run.count()).toBe(runs);
      expect(list(root)).toEqual(files);
    }, 60_000);
  }
});
