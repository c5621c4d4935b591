import { readFileSync } from "node:fs";
import type { E2ERun } from "./global-setup";
import { E2E_RUNS_FILE } from "./paths";

/** The runs global-setup trained, with their values as stored in the database. */
export function e2eRuns(): E2ERun[] {
  return JSON.parse(readFileSync(E2E_RUNS_FILE, "utf8")) as E2ERun[];
}

export function byName(name: string): E2ERun {
  const run = e2eRuns().find((r) => r.name === name);
  if (!run) throw new Error(`no e2e run named ${name}`);
  return run;
}
