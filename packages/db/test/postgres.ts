// A throwaway PostgreSQL for tests (and for the shadow database of scripts/migrate-dev.ts).
//
//   const pg = await startPostgres();
//   if (!pg) return; // binaries missing: the reason was printed
//   ... pg.url ...
//   await pg.stop();
//
// With TEST_DATABASE_URL_PG set, every call creates a fresh database on that server (dropped by
// stop()). Otherwise it runs initdb + pg_ctl in a temporary directory, as the `postgres` OS user
// when running as root, listening on 127.0.0.1 on a free port; stop() stops it (-m fast) and
// removes the directory. Returns null, after printing why, when no PostgreSQL binaries are found.
// Other packages import it as "@fmnist/db/test-postgres".
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

export interface TestPostgres {
  /** postgresql://user@127.0.0.1:PORT/db (no password for the local cluster). */
  url: string;
  stop(): Promise<void>;
}

/** Why the last startPostgres() returned null (also printed). */
export let postgresSkipReason: string | undefined;

export async function startPostgres(): Promise<TestPostgres | null> {
  const external = process.env.TEST_DATABASE_URL_PG?.trim();
  if (external) return freshDatabase(external);

  const bin = findPostgresBin();
  if (!bin) {
    postgresSkipReason =
      "PostgreSQL binaries (initdb, pg_ctl) not found (POSTGRES_BIN_DIR, PATH, /usr/lib/postgresql/*/bin) and TEST_DATABASE_URL_PG is not set";
    console.warn(`[test-postgres] skipping: ${postgresSkipReason}`);
    return null;
  }
  return startCluster(bin);
}

/** Directory holding initdb and pg_ctl: POSTGRES_BIN_DIR, else PATH, else the newest Debian/Ubuntu install. */
export function findPostgresBin(): string | null {
  const forced = process.env.POSTGRES_BIN_DIR?.trim(); // only this directory (also: to test the skip path)
  if (forced) return existsSync(join(forced, "initdb")) && existsSync(join(forced, "pg_ctl")) ? forced : null;
  for (const dir of (process.env.PATH ?? "").split(":")) {
    if (dir && existsSync(join(dir, "initdb")) && existsSync(join(dir, "pg_ctl"))) return dir;
  }
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    const dir = join(root, v, "bin");
    if (existsSync(join(dir, "initdb")) && existsSync(join(dir, "pg_ctl"))) return dir;
  }
  return null;
}

async function freshDatabase(serverUrl: string): Promise<TestPostgres> {
  const name = `fmnist_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async stop() {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } catch {
        await c.query(`DROP DATABASE IF EXISTS "${name}"`); // servers older than 13
      } finally {
        await c.end();
      }
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** initdb refuses to run as root: then run it (and pg_ctl) as the `postgres` OS user. */
function asPostgres(): { prefix: string[]; uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return { prefix: [] };
  const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
  const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
  return { prefix: ["runuser", "-u", "postgres", "--"], uid, gid };
}

function run(prefix: string[], cmd: string, args: string[]): { ok: boolean; output: string } {
  const full = [...prefix, cmd, ...args];
  const r = spawnSync(full[0], full.slice(1), { encoding: "utf8", cwd: "/" });
  return { ok: r.status === 0, output: `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) : ""}` };
}

async function startCluster(bin: string): Promise<TestPostgres> {
  const user = asPostgres();
  // Keep the path short: the Unix socket lives in it too (108-byte limit).
  const dir = mkdtempSync(join(existsSync("/tmp") ? "/tmp" : tmpdir(), "fmnist-pg-"));
  if (user.uid !== undefined) chownSync(dir, user.uid, user.gid!);
  const data = join(dir, "data");
  const log = join(dir, "pg.log");
  const pgCtl = join(bin, "pg_ctl");
  const cleanupDir = () => rmSync(dir, { recursive: true, force: true });

  const init = run(user.prefix, join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  if (!init.ok) {
    cleanupDir();
    throw new Error(`initdb failed:\n${init.output}`);
  }

  let port = 0;
  let lastError = "";
  for (let attempt = 0; attempt < 3 && !port; attempt++) {
    const candidate = await freePort();
    const opts = `-c listen_addresses=127.0.0.1 -p ${candidate} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
    const r = run(user.prefix, pgCtl, ["-D", data, "-l", log, "-w", "-t", "30", "-o", opts, "start"]);
    if (r.ok) port = candidate;
    else lastError = `${r.output}\n${existsSync(log) ? readFileSync(log, "utf8").slice(-2000) : ""}`;
  }
  if (!port) {
    run(user.prefix, pgCtl, ["-D", data, "-m", "immediate", "stop"]);
    cleanupDir();
    throw new Error(`pg_ctl start failed:\n${lastError}`);
  }

  // If the test process dies without calling stop(), do not leave a server behind.
  let stopped = false;
  const onExit = () => {
    if (stopped) return;
    run(user.prefix, pgCtl, ["-D", data, "-m", "immediate", "stop"]);
    cleanupDir();
  };
  process.once("exit", onExit);

  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      if (stopped) return;
      stopped = true;
      process.removeListener("exit", onExit);
      run(user.prefix, pgCtl, ["-D", data, "-m", "fast", "-w", "stop"]);
      cleanupDir();
    },
  };
}
