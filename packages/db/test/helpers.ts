import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A SQLite file: URL in a fresh temporary directory, and its cleanup. */
export function tempSqlite(name = "test.db"): { url: string; file: string; dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), "fmnist-db-"));
  const file = join(dir, name);
  return { url: `file:${file}`, file, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A fresh database on the throwaway server: postgresql://.../<name>. */
export function withDatabase(serverUrl: string, name: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return u.toString();
}
