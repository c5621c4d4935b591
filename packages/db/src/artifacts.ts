import { dirname, join, resolve } from "node:path";
import { artifactsDir } from "./config";

/**
 * The one description of ARTIFACTS_DIR's layout: each run's files (model.json, weights.bin, an
 * imported model's source file) in `runs/<runId>/`. Artifact rows keep paths relative to
 * ARTIFACTS_DIR (`runArtifactPath`); the trainer, the upload, the delete and the download route
 * turn them into real paths here.
 */
const RUNS = "runs";
/** Run ids are cuids; anything else could name a path outside the run's folder. */
const SAFE_RUN_ID = /^[A-Za-z0-9_-]{1,100}$/;

/** `runs/<runId>/<file>`: an Artifact row's path. */
export function runArtifactPath(runId: string, file: string): string {
  return `${RUNS}/${runId}/${file}`;
}

/** ARTIFACTS_DIR/runs/<runId>, or null for an id that could name anything else. */
export function runArtifactsDir(runId: string, root = artifactsDir()): string | null {
  if (!SAFE_RUN_ID.test(runId)) return null;
  const runs = resolve(root, RUNS);
  const dir = resolve(runs, runId);
  return dirname(dir) === runs ? dir : null;
}

/** ARTIFACTS_DIR/runs/<runId>/<file> (the folder itself when `file` is ""), for a run id the caller
 * made: throws on an unsafe one. */
export function runArtifactFile(runId: string, file: string, root = artifactsDir()): string {
  const dir = runArtifactsDir(runId, root);
  if (!dir) throw new Error(`not a run id: ${JSON.stringify(runId)}`);
  return join(dir, file);
}
