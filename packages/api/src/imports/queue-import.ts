import { createHash } from "node:crypto";
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { runArtifactFile } from "@fmnist/db/artifacts";
import type { Db } from "@fmnist/db/client";
import { createImportedRun } from "@fmnist/db/runs";
import { importedRunFields, importKerasModel, sourceFileName } from "@fmnist/keras-import";

/** Largest upload accepted (FMNIST_IMPORT_MAX_BYTES; default 64 MiB, far above any Fashion-MNIST
 * model: the five real ones are 0.4-3 MB). */
export function importMaxBytes(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.FMNIST_IMPORT_MAX_BYTES);
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : 64 * 1024 * 1024;
}

export interface QueuedImport {
  id: string;
  name: string;
  format: string;
  kerasVersion: string;
  params: number;
  sha256: string;
}


/**
 * An uploaded model file becomes a QUEUED run of kind "imported" that a worker evaluates (like a
 * queued training run). The file is read and translated here first, so a refused file (zip slip,
 * truncated, unknown layer, wrong weight shape...) throws KerasImportError with nothing recorded
 * and nothing written; an accepted one is stored as runs/<id>/source.<keras|h5> under a fixed name.
 */
export async function queueImport(options: { db: Db; bytes: Uint8Array; fileName: string; name?: string; artifactsRoot: string }): Promise<QueuedImport> {
  const { db, bytes } = options;
  // Shown on pages and in logs only, never a path: drop control characters, keep it short.
  const fileName = Array.from(options.fileName, (c) => (c.charCodeAt(0) < 32 ? "" : c)).join("").slice(0, 255) || "model";
  const imported = await importKerasModel(bytes, fileName);
  imported.model.dispose();
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const fields = importedRunFields(imported, fileName, sha256, options.name);
  const { name } = fields;
  const run = await createImportedRun(db, fields, { status: "QUEUED" });
  const path = runArtifactFile(run.id, sourceFileName(imported.format), options.artifactsRoot);
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${path}.tmp`, bytes);
    renameSync(`${path}.tmp`, path);
  } catch (e) {
    // No run without its file: a worker could never finish it.
    rmSync(dir, { recursive: true, force: true });
    await db.run.delete({ where: { id: run.id } }).catch(() => undefined);
    throw e;
  }
  return { id: run.id, name, format: imported.format, kerasVersion: imported.kerasVersion, params: imported.paramCount, sha256 };
}
