import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, dirname } from "node:path";
import { selectBackend } from "@fmnist/backends";
import { type FashionMnist, loadFashionMnist, readDataset } from "@fmnist/data";
import { runArtifactFile, runArtifactPath } from "@fmnist/db/artifacts";
import type { Db } from "@fmnist/db/client";
import { artifactsDir as defaultArtifactsDir } from "@fmnist/db/config";
import { createImportedRun, failRun, recordProgress, startRun } from "@fmnist/db/runs";
import { type ImportedKerasModel, importedRunFields, importKerasModel, type KerasFormat, sourceFileName } from "@fmnist/keras-import";
import type { BackendPreference } from "@fmnist/model/train-config";
import { codeVersion } from "./code-version";
import { evaluateOnTestSet, exportAndRecord } from "./evaluate";

/** Where an imported run keeps the file it came from: a fixed name, never the uploader's. */
export function sourceFilePath(artifactsRoot: string, runId: string, format: KerasFormat | string): string {
  return runArtifactFile(runId, sourceFileName(format), artifactsRoot);
}

export interface ImportRunOptions {
  db: Db;
  bytes: Uint8Array;
  /** The file's own name, as the person gave it (recorded, shown, never used as a path). */
  fileName: string;
  name?: string;
  /** A run already recorded (an upload the worker claimed); without it a new run is created only
   * once the file has been read and checked, so a refused file records nothing. */
  runId?: string;
  dataDir?: string;
  artifactsDir?: string;
  backend?: BackendPreference;
  log?: (message: string) => void;
  /** How often evaluation progress is written to the run (ms). */
  progressIntervalMs?: number;
}

export interface ImportRunResult {
  runId: string;
  testAccuracy: number;
  testLoss: number;
  paramCount: number;
  kerasVersion: string;
  format: KerasFormat;
  modelDir: string;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Imports a Keras model file as a run of kind "imported": no epochs, evaluated on the real test
 * set and exported exactly like a trained run (same evaluation, same artifacts, same records). */
export async function importModelRun(options: ImportRunOptions): Promise<ImportRunResult> {
  const { db } = options;
  const log = options.log ?? (() => {});
  const started = Date.now();
  const backend = await selectBackend(options.backend ?? "auto");
  log(`backend: ${backend.backend} (${backend.note})`);
  let imported: ImportedKerasModel | undefined;
  let runId = options.runId;
  try {
    imported = await importKerasModel(options.bytes, options.fileName);
    log(
      `${options.fileName}: ${imported.modelClass} model "${imported.modelName}" saved by Keras ${imported.kerasVersion} (${imported.format}), ` +
        `${imported.layers.length} layers, ${imported.paramCount.toLocaleString("en")} parameters`,
    );
    const data: FashionMnist = options.dataDir ? readDataset(options.dataDir) : await loadFashionMnist({ progress: true });
    const resolved = {
      backend: backend.backend,
      backendNote: backend.note,
      datasetChecksum: data.checksum,
      datasetDir: data.dir,
      datasetSource: data.source,
      datasetSubset: data.subset ?? null,
      codeVersion: codeVersion(),
    };
    // A queued upload already has its record (queueImport wrote the same fields from the same file).
    const run = runId
      ? await startRun(db, runId, resolved)
      : await createImportedRun(db, { ...importedRunFields(imported, options.fileName, sha256Hex(options.bytes), options.name), ...resolved }, { status: "RUNNING" });
    runId = run.id;
    const root = options.artifactsDir ?? defaultArtifactsDir();
    // Keep the original file beside the export (the upload route wrote it there already).
    const sourcePath = sourceFilePath(root, runId, imported.format);
    if (!options.runId) {
      mkdirSync(dirname(sourcePath), { recursive: true });
      writeFileSync(`${sourcePath}.tmp`, options.bytes);
      renameSync(`${sourcePath}.tmp`, sourcePath);
    }

    log(`evaluating on ${data.test.count} test images from ${data.dir}`);
    const every = options.progressIntervalMs ?? 500;
    let lastWrite = 0;
    const evalStart = Date.now();
    const test = await evaluateOnTestSet(imported.model, data.test, async (done, total) => {
      if (Date.now() - lastWrite < every && done < total) return;
      lastWrite = Date.now();
      const imagesPerSec = done / Math.max((Date.now() - evalStart) / 1000, 1e-3);
      await recordProgress(db, runId as string, { phase: "evaluating", epoch: 0, epochs: 0, batch: done, batches: total, imagesPerSec, etaSeconds: (total - done) / imagesPerSec });
    });
    const exported = await exportAndRecord(db, runId, imported.model, test, root, { durationMs: Date.now() - started }, [
      { kind: "keras-source", path: runArtifactPath(runId, basename(sourcePath)), sizeBytes: options.bytes.length },
    ]);
    log(`test accuracy ${(test.accuracy * 100).toFixed(2)}% (loss ${test.loss.toFixed(4)}); exported to ${exported.dir}`);
    return {
      runId,
      testAccuracy: test.accuracy,
      testLoss: test.loss,
      paramCount: imported.paramCount,
      kerasVersion: imported.kerasVersion,
      format: imported.format,
      modelDir: exported.dir,
    };
  } catch (e) {
    // A refusal before the run exists records nothing; a failure after it marks the run FAILED.
    if (runId) {
      await failRun(db, runId, e instanceof Error ? e.message : String(e)).catch(() => undefined);
    }
    throw e;
  } finally {
    imported?.model.dispose();
  }
}

/** The worker's side of an upload: the file the web app stored under the run's directory. */
export function readStoredSource(artifactsRoot: string, runId: string, format: string | null): Uint8Array {
  return new Uint8Array(readFileSync(sourceFilePath(artifactsRoot, runId, format ?? "keras")));
}
