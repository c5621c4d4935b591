// A real training worker for the specs that queue jobs: `pnpm worker` (the trainer CLI's `worker`
// command) as a process of its own, polling every 0.2 s, on the e2e database.
import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";
import { E2E_ARTIFACTS_DIR, E2E_DATABASE_URL } from "./paths";

export interface E2EWorker {
  child: ChildProcess;
  /** Everything it printed so far (saved by the specs when they end). */
  output: () => string;
  exited: Promise<number | null>;
}

const repoRoot = resolve(import.meta.dirname, "../../..");

export function startE2EWorker(id: string): E2EWorker {
  const child = spawn(process.execPath, ["--import", "tsx", "apps/trainer/src/cli.ts", "worker", "--poll", "0.2", "--id", id], {
    cwd: repoRoot,
    env: { ...process.env, DATABASE_URL: E2E_DATABASE_URL, ARTIFACTS_DIR: E2E_ARTIFACTS_DIR },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d) => (out += d));
  child.stderr?.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return { child, output: () => out, exited };
}
