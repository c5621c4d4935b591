// Applies the committed Prisma migrations (prisma/<provider>/migrations) offline, without the Prisma
// CLI (which needs a native schema engine it downloads at start). It keeps the bookkeeping in
// `_prisma_migrations` exactly as Prisma's schema engine does (same DDL, a UUID id, checksum =
// sha256 hex of migration.sql, finished_at, applied_steps_count = 1; on SQLite the timestamps are
// integer milliseconds as the native engine writes them), so a later stock `prisma migrate deploy`
// or `prisma migrate status` sees these migrations as applied.
//
// Differences from `prisma migrate deploy`, on purpose:
//  - each migration runs in a transaction (SQLite: a savepoint) together with its
//    `_prisma_migrations` row, so a failing migration leaves nothing of itself behind (Prisma
//    records a failed row that then needs `prisma migrate resolve`); earlier ones stay applied;
//  - on SQLite foreign keys are switched off for the connection while migrating (a table
//    redefinition inside a transaction would otherwise cascade-delete child rows) and
//    `PRAGMA foreign_key_check` must pass before commit.
import { createHash, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import pg from "pg";
import { type DatabaseKind, databaseKind, databaseUrl, sqlitePath } from "./config";

export interface MigrateOptions {
  log?: (s: string) => void;
  /** Override the migrations folder (default: prisma/<sqlite|postgres>/migrations of this package). */
  migrationsDir?: string;
}

export interface LocalMigration {
  name: string;
  sql: string;
  checksum: string;
}

/** Prisma's advisory lock key for migrations on PostgreSQL (the schema engine takes the same). */
export const PG_MIGRATION_LOCK_KEY = 72707369;

/** The exact DDL Prisma's schema engine runs (prisma-engines sql-schema-connector). */
export const MIGRATIONS_TABLE_DDL: Record<DatabaseKind, string> = {
  sqlite: `CREATE TABLE "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
);
`,
  postgres: `CREATE TABLE _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
);
`,
};

const PROVIDER: Record<DatabaseKind, string> = { sqlite: "sqlite", postgres: "postgresql" };

export function migrationsDir(kind: DatabaseKind): string {
  return join(dirname(dirname(fileURLToPath(import.meta.url))), "prisma", kind, "migrations");
}

export function checksum(sql: string | Buffer): string {
  return createHash("sha256").update(sql).digest("hex");
}

/** Like Prisma: a checksum also matches the script with its line endings converted (git autocrlf). */
function checksumMatches(sql: string, expected: string): boolean {
  const lf = sql.replace(/\r\n/g, "\n");
  return [sql, lf, lf.replace(/\n/g, "\r\n")].some((s) => checksum(s) === expected);
}

/** The migrations folder, sorted by name as Prisma does; checks migration_lock.toml's provider. */
export function readMigrations(dir: string, kind: DatabaseKind): LocalMigration[] {
  if (!existsSync(dir)) throw new Error(`No migrations folder at ${dir}`);
  const lock = join(dir, "migration_lock.toml");
  if (existsSync(lock)) {
    const m = /^\s*provider\s*=\s*"([^"]+)"/m.exec(readFileSync(lock, "utf8"));
    if (m && m[1] !== PROVIDER[kind]) {
      throw new Error(`${lock} is for provider "${m[1]}", but the database URL is ${PROVIDER[kind]}`);
    }
  }
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, "migration.sql")))
    .map((e) => e.name)
    .sort((a, b) => a.localeCompare(b))
    .map((name) => {
      const bytes = readFileSync(join(dir, name, "migration.sql"));
      return { name, sql: bytes.toString("utf8"), checksum: checksum(bytes) };
    });
}

/** The database a URL names, without its password: for logs. */
export function describeDatabase(url: string): string {
  if (databaseKind(url) === "sqlite") return `SQLite ${sqlitePath(url)}`;
  const u = new URL(url);
  const user = u.username ? `${decodeURIComponent(u.username)}@` : "";
  const schema = u.searchParams.get("schema");
  return `PostgreSQL ${user}${u.host}${u.pathname}${schema ? ` (schema ${schema})` : ""}`;
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: unknown;
  rolled_back_at: unknown;
}

/** What to apply, after refusing a history Prisma would refuse too. */
function plan(local: LocalMigration[], rows: AppliedRow[], where: string, log: (s: string) => void): LocalMigration[] {
  const live = rows.filter((r) => r.rolled_back_at === null || r.rolled_back_at === undefined);
  const failed = live.filter((r) => r.finished_at === null || r.finished_at === undefined);
  if (failed.length > 0) {
    throw new Error(
      `Migration ${failed.map((r) => `"${r.migration_name}"`).join(", ")} failed earlier in ${where} and was not ` +
        "resolved (finished_at is NULL in _prisma_migrations). Fix the database, then mark it rolled back or " +
        "applied (`prisma migrate resolve`) before migrating again.",
    );
  }
  const byName = new Map(local.map((m) => [m.name, m]));
  const edited = live.filter((r) => {
    const m = byName.get(r.migration_name);
    return m !== undefined && !checksumMatches(m.sql, r.checksum);
  });
  if (edited.length > 0) {
    throw new Error(
      `Refusing to migrate ${where}: migration ${edited.map((r) => `"${r.migration_name}"`).join(", ")} was modified ` +
        "after it was applied (the checksum of migration.sql differs from the one in _prisma_migrations). " +
        "Restore the original file and put the change in a new migration (`pnpm --filter @fmnist/db migrate:dev --name ...`).",
    );
  }
  const applied = new Set(live.map((r) => r.migration_name));
  const missing = [...applied].filter((n) => !byName.has(n));
  if (missing.length > 0) {
    log(`warning: ${where} has migrations that are not in the migrations folder: ${missing.join(", ")}`);
  }
  return local.filter((m) => !applied.has(m.name));
}

/** Applies pending migrations to the database `url` names (default DATABASE_URL). Idempotent and
 * safe when several processes start at once. Returns the names it applied. */
export async function migrate(url: string = databaseUrl(), opts: MigrateOptions = {}): Promise<{ applied: string[] }> {
  const kind = databaseKind(url);
  const log = opts.log ?? (() => {});
  const local = readMigrations(opts.migrationsDir ?? migrationsDir(kind), kind);
  return kind === "sqlite" ? migrateSqlite(url, local, log) : migratePostgres(url, local, log);
}

function migrateSqlite(url: string, local: LocalMigration[], log: (s: string) => void): { applied: string[] } {
  const file = sqlitePath(url);
  mkdirSync(dirname(file), { recursive: true });
  const where = describeDatabase(url);
  // A long busy timeout: a second process waits on BEGIN IMMEDIATE, then finds nothing to do.
  const db = new Database(file, { timeout: 60_000 });
  const applied: string[] = [];
  try {
    db.pragma("foreign_keys = OFF"); // only effective outside a transaction
    db.exec("BEGIN IMMEDIATE");
    try {
      const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_prisma_migrations'").get();
      if (!hasTable) db.exec(MIGRATIONS_TABLE_DDL.sqlite);
      const rows = db
        .prepare("SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations ORDER BY started_at ASC")
        .all() as AppliedRow[];
      const insert = db.prepare(
        "INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count) VALUES (?, ?, ?, ?, NULL, NULL, ?, 1)",
      );
      for (const m of plan(local, rows, where, log)) {
        const started = Date.now();
        log(`Applying ${m.name}`);
        // One savepoint per migration: a failure undoes that migration only; the ones before it
        // are committed (as on PostgreSQL, where each migration has its own transaction).
        db.exec("SAVEPOINT fmnist_migration");
        try {
          db.exec(m.sql);
          const violations = db.pragma("foreign_key_check") as unknown[];
          if (violations.length > 0) throw new Error(`it leaves ${violations.length} foreign key violation(s)`);
          insert.run(randomUUID(), m.checksum, Date.now(), m.name, started);
          db.exec("RELEASE fmnist_migration");
        } catch (err) {
          db.exec("ROLLBACK TO fmnist_migration");
          db.exec("RELEASE fmnist_migration");
          db.exec("COMMIT");
          throw new Error(`Migration ${m.name} failed on ${where}: ${(err as Error).message}`);
        }
        applied.push(m.name);
      }
      db.exec("COMMIT");
    } catch (err) {
      if (db.inTransaction) db.exec("ROLLBACK");
      throw err;
    }
  } finally {
    db.close();
  }
  return { applied };
}

/** pg does not know Prisma's `?schema=` parameter: strip it and return the schema (default public). */
function pgConnection(url: string): { connectionString: string; schema: string } {
  const u = new URL(url);
  const schema = u.searchParams.get("schema") || "public";
  u.searchParams.delete("schema");
  return { connectionString: u.toString(), schema };
}

async function migratePostgres(url: string, local: LocalMigration[], log: (s: string) => void): Promise<{ applied: string[] }> {
  const where = describeDatabase(url);
  const { connectionString, schema } = pgConnection(url);
  const client = new pg.Client({ connectionString });
  await client.connect();
  const applied: string[] = [];
  const ident = `"${schema.replace(/"/g, '""')}"`;
  try {
    // Session-level lock, released at the end (or when the connection drops).
    await client.query(`SELECT pg_advisory_lock(${PG_MIGRATION_LOCK_KEY})`);
    if (schema !== "public") await client.query(`CREATE SCHEMA IF NOT EXISTS ${ident}`);
    await client.query(`SET search_path TO ${ident}`);
    const { rows: exists } = await client.query(
      "SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = '_prisma_migrations'",
      [schema],
    );
    if (exists.length === 0) await client.query(MIGRATIONS_TABLE_DDL.postgres);
    const { rows } = await client.query<AppliedRow>(
      "SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations ORDER BY started_at ASC",
    );
    for (const m of plan(local, rows, where, log)) {
      const started = new Date();
      log(`Applying ${m.name}`);
      await client.query("BEGIN");
      try {
        await client.query(m.sql); // simple query protocol: the whole script in one round trip
        await client.query(
          "INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count) VALUES ($1, $2, $3, $4, NULL, NULL, $5, 1)",
          [randomUUID(), m.checksum, new Date(), m.name, started],
        );
        await client.query("COMMIT");
      } catch (err) {
        await client.query("ROLLBACK").catch(() => {});
        throw new Error(`Migration ${m.name} failed on ${where}: ${(err as Error).message}`);
      }
      applied.push(m.name);
    }
  } finally {
    await client.query(`SELECT pg_advisory_unlock(${PG_MIGRATION_LOCK_KEY})`).catch(() => {});
    await client.end().catch(() => {});
  }
  return { applied };
}
