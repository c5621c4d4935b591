import { existsSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The monorepo root: every relative default (./data, ./data/artifacts) is resolved against it,
 * so the CLI, the worker and the web app agree whatever directory pnpm started them in. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (dir !== dirname(dir)) {
    if (existsSync(join(dir, "pnpm-workspace.yaml"))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

export type DatabaseKind = "sqlite" | "postgres";

export function databaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  const url = env.DATABASE_URL?.trim();
  return url && url.length > 0 ? url : "file:./data/fmnist.db";
}

export function databaseKind(url = databaseUrl()): DatabaseKind {
  if (/^postgres(ql)?:\/\//i.test(url)) return "postgres";
  if (url.startsWith("file:")) return "sqlite";
  throw new Error(
    `DATABASE_URL must be a SQLite "file:" URL or a "postgres://" URL; got "${url.split(":")[0]}:..."`,
  );
}

/** Absolute path of the SQLite file named by a file: URL (relative paths are from the repo root). */
export function sqlitePath(url = databaseUrl()): string {
  const p = url.replace(/^file:/, "").replace(/\?.*$/, "");
  return isAbsolute(p) ? p : resolve(repoRoot(), p);
}

export function artifactsDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.ARTIFACTS_DIR?.trim() || "./data/artifacts";
  return isAbsolute(dir) ? dir : resolve(repoRoot(), dir);
}

/** How long a worker's (or the CLI's) hold on a RUNNING run lasts without renewal
 * (FMNIST_LEASE_MS, default 30 s); the heartbeat renews it every third of that. */
export function defaultLeaseMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.FMNIST_LEASE_MS);
  return Number.isFinite(v) && v > 0 ? v : 30_000;
}
