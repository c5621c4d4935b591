import { spawn } from "node:child_process";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { checksum, MIGRATIONS_TABLE_DDL, migrate, migrationsDir, readMigrations } from "../src/migrate";
import { tempSqlite, withDatabase } from "./helpers";
import { startPostgres } from "./postgres";

const pkgDir = fileURLToPath(new URL("..", import.meta.url));
const sqliteMigrations = readMigrations(migrationsDir("sqlite"), "sqlite");
const pgMigrations = readMigrations(migrationsDir("postgres"), "postgres");
const APP_TABLES = ["AliasEvent", "Artifact", "EpochMetric", "Evaluation", "Misclassified", "ModelAlias", "ModelVersion", "RegisteredModel", "Run", "RunParam", "RunTag", "Sweep"];

describe("migrations folders", () => {
  it("have the same migrations for both providers, with lock files", () => {
    expect(sqliteMigrations.length).toBeGreaterThan(0);
    expect(sqliteMigrations.map((m) => m.name)).toEqual(pgMigrations.map((m) => m.name));
    expect(readFileSync(join(migrationsDir("sqlite"), "migration_lock.toml"), "utf8")).toContain('provider = "sqlite"');
    expect(readFileSync(join(migrationsDir("postgres"), "migration_lock.toml"), "utf8")).toContain('provider = "postgresql"');
  });
});

describe("migrate() on SQLite", () => {
  it("migrates a fresh file, records it like Prisma, and is idempotent", async () => {
    const db = tempSqlite();
    try {
      const logs: string[] = [];
      const first = await migrate(db.url, { log: (s) => logs.push(s) });
      expect(first.applied).toEqual(sqliteMigrations.map((m) => m.name));
      expect(logs.some((l) => l.includes(sqliteMigrations[0].name))).toBe(true);
      expect((await migrate(db.url)).applied).toEqual([]);

      const conn = new Database(db.file, { readonly: true });
      try {
        const tables = conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[];
        expect(tables.map((t) => t.name)).toEqual([...APP_TABLES, "_prisma_migrations"]);
        const ddl = conn.prepare("SELECT sql FROM sqlite_master WHERE name = '_prisma_migrations'").get() as { sql: string };
        expect(`${ddl.sql};\n`).toBe(MIGRATIONS_TABLE_DDL.sqlite);
        const rows = conn.prepare("SELECT * FROM _prisma_migrations").all() as Record<string, unknown>[];
        expect(rows).toHaveLength(sqliteMigrations.length);
        const row = rows[0];
        const file = readFileSync(join(migrationsDir("sqlite"), sqliteMigrations[0].name, "migration.sql"));
        expect(row.migration_name).toBe(sqliteMigrations[0].name);
        expect(row.checksum).toBe(checksum(file));
        expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
        expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(row.applied_steps_count).toBe(1);
        expect(row.logs).toBeNull();
        expect(row.rolled_back_at).toBeNull();
        // Integer milliseconds, as Prisma's native engine writes DateTime values to SQLite.
        expect(typeof row.started_at).toBe("number");
        expect(row.finished_at as number).toBeGreaterThanOrEqual(row.started_at as number);
        expect(Math.abs(Date.now() - (row.finished_at as number))).toBeLessThan(60_000);
      } finally {
        conn.close();
      }
    } finally {
      db.cleanup();
    }
  });

  it("refuses to run when an applied migration was edited, and when one failed earlier", async () => {
    const db = tempSqlite();
    try {
      const dir = join(db.dir, "migrations");
      cpSync(migrationsDir("sqlite"), dir, { recursive: true });
      await migrate(db.url, { migrationsDir: dir });
      const file = join(dir, sqliteMigrations[0].name, "migration.sql");
      const original = readFileSync(file, "utf8");

      // Line endings converted by git do not count as an edit (as in Prisma).
      writeFileSync(file, original.replace(/\n/g, "\r\n"));
      expect((await migrate(db.url, { migrationsDir: dir })).applied).toEqual([]);

      writeFileSync(file, `${original}\n-- edited\n`);
      await expect(migrate(db.url, { migrationsDir: dir })).rejects.toThrow(/modified after it was applied/);

      writeFileSync(file, original);
      const conn = new Database(db.file);
      conn.prepare("UPDATE _prisma_migrations SET finished_at = NULL").run();
      conn.close();
      await expect(migrate(db.url, { migrationsDir: dir })).rejects.toThrow(/failed earlier/);
    } finally {
      db.cleanup();
    }
  });

  it("rolls a failing migration back, keeping the ones before it", async () => {
    const db = tempSqlite();
    try {
      const dir = join(db.dir, "migrations");
      cpSync(migrationsDir("sqlite"), dir, { recursive: true });
      cpSync(join(dir, sqliteMigrations[0].name), join(dir, "99999999999999_broken"), { recursive: true });
      writeFileSync(join(dir, "99999999999999_broken", "migration.sql"), 'CREATE TABLE "Ok" ("id" TEXT);\nNOT SQL;\n');
      await expect(migrate(db.url, { migrationsDir: dir })).rejects.toThrow(/99999999999999_broken failed/);
      const conn = new Database(db.file, { readonly: true });
      const rows = conn.prepare("SELECT migration_name FROM _prisma_migrations").all();
      const ok = conn.prepare("SELECT name FROM sqlite_master WHERE name = 'Ok'").get();
      conn.close();
      expect(rows).toEqual(sqliteMigrations.map((m) => ({ migration_name: m.name })));
      expect(ok).toBeUndefined();
    } finally {
      db.cleanup();
    }
  });

  it("is safe when two processes migrate the same new file at once", async () => {
    const db = tempSqlite();
    try {
      const tsx = join(pkgDir, "../../node_modules/.bin/tsx");
      const runOne = () =>
        new Promise<string[]>((resolve, reject) => {
          const child = spawn(tsx, [join(pkgDir, "test/migrate-child.ts"), db.url], { cwd: pkgDir });
          let out = "";
          let err = "";
          child.stdout.on("data", (d) => (out += d));
          child.stderr.on("data", (d) => (err += d));
          child.on("close", (code) => (code === 0 ? resolve(JSON.parse(out.trim().split("\n").pop()!)) : reject(new Error(err))));
        });
      const results = await Promise.all([runOne(), runOne()]);
      expect(results.flat().sort()).toEqual(sqliteMigrations.map((m) => m.name));
      const conn = new Database(db.file, { readonly: true });
      expect(conn.prepare("SELECT count(*) AS n FROM _prisma_migrations").get()).toEqual({ n: sqliteMigrations.length });
      conn.close();
    } finally {
      db.cleanup();
    }
  });
});

const server = await startPostgres();
afterAll(async () => {
  await server?.stop();
});
if (!server) console.warn("[db tests] PostgreSQL tests of migrate() skipped: no PostgreSQL binaries");

describe.skipIf(!server)("migrate() on PostgreSQL", () => {
  let n = 0;
  async function freshDb(): Promise<string> {
    const name = `migrate_${process.pid}_${n++}`;
    const admin = new pg.Client({ connectionString: server!.url });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();
    return withDatabase(server!.url, name);
  }
  async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      return (await c.query<T>(sql)).rows;
    } finally {
      await c.end();
    }
  }

  it("migrates a fresh database, records it like Prisma, and is idempotent", async () => {
    const url = await freshDb();
    expect((await migrate(url)).applied).toEqual(pgMigrations.map((m) => m.name));
    expect((await migrate(url)).applied).toEqual([]);
    const tables = await query<{ table_name: string }>(
      url,
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    expect(tables.map((t) => t.table_name)).toEqual([...APP_TABLES, "_prisma_migrations"]);
    const cols = await query(
      url,
      `SELECT column_name, data_type, character_maximum_length AS len, is_nullable, column_default
       FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
    );
    // As created by Prisma's schema engine (checked against it in prisma-compat.test.ts).
    expect(cols).toEqual([
      { column_name: "id", data_type: "character varying", len: 36, is_nullable: "NO", column_default: null },
      { column_name: "checksum", data_type: "character varying", len: 64, is_nullable: "NO", column_default: null },
      { column_name: "finished_at", data_type: "timestamp with time zone", len: null, is_nullable: "YES", column_default: null },
      { column_name: "migration_name", data_type: "character varying", len: 255, is_nullable: "NO", column_default: null },
      { column_name: "logs", data_type: "text", len: null, is_nullable: "YES", column_default: null },
      { column_name: "rolled_back_at", data_type: "timestamp with time zone", len: null, is_nullable: "YES", column_default: null },
      { column_name: "started_at", data_type: "timestamp with time zone", len: null, is_nullable: "NO", column_default: "now()" },
      { column_name: "applied_steps_count", data_type: "integer", len: null, is_nullable: "NO", column_default: "0" },
    ]);
    const rows = await query<Record<string, unknown>>(url, "SELECT * FROM _prisma_migrations");
    expect(rows).toHaveLength(pgMigrations.length);
    expect(rows[0].checksum).toBe(checksum(readFileSync(join(migrationsDir("postgres"), pgMigrations[0].name, "migration.sql"))));
    expect(rows[0].applied_steps_count).toBe(1);
    expect(rows[0].finished_at).toBeInstanceOf(Date);
    expect((rows[0].finished_at as Date).getTime()).toBeGreaterThanOrEqual((rows[0].started_at as Date).getTime());
  });

  it("is safe when several processes start at once (advisory lock)", async () => {
    const url = await freshDb();
    const results = await Promise.all([migrate(url), migrate(url), migrate(url)]);
    expect(results.flatMap((r) => r.applied).sort()).toEqual(pgMigrations.map((m) => m.name));
    const [{ count }] = await query<{ count: string }>(url, "SELECT count(*) FROM _prisma_migrations");
    expect(Number(count)).toBe(pgMigrations.length);
  });

  it("refuses to run when an applied migration was edited", async () => {
    const url = await freshDb();
    const tmp = tempSqlite();
    try {
      const dir = join(tmp.dir, "migrations");
      cpSync(migrationsDir("postgres"), dir, { recursive: true });
      await migrate(url, { migrationsDir: dir });
      const file = join(dir, pgMigrations[0].name, "migration.sql");
      writeFileSync(file, `${readFileSync(file, "utf8")}-- edited\n`);
      await expect(migrate(url, { migrationsDir: dir })).rejects.toThrow(/modified after it was applied/);
      // A SQLite URL with the PostgreSQL folder is refused by migration_lock.toml.
      await expect(migrate(tmp.url, { migrationsDir: dir })).rejects.toThrow(/provider "postgresql"/);
    } finally {
      tmp.cleanup();
    }
  });

  it("honours Prisma's ?schema= parameter", async () => {
    const url = await freshDb();
    const withSchema = `${url}?schema=fmnist`;
    expect((await migrate(withSchema)).applied).toHaveLength(pgMigrations.length);
    expect((await migrate(withSchema)).applied).toEqual([]);
    const t = await query<{ table_schema: string }>(url, "SELECT table_schema FROM information_schema.tables WHERE table_name = 'Run'");
    expect(t).toEqual([{ table_schema: "fmnist" }]);
  });

  it("startPostgres() makes a fresh database per call on TEST_DATABASE_URL_PG", async () => {
    const before = process.env.TEST_DATABASE_URL_PG;
    process.env.TEST_DATABASE_URL_PG = server!.url;
    try {
      const a = (await startPostgres())!;
      const b = (await startPostgres())!;
      expect(a.url).not.toBe(b.url);
      expect(await query(a.url, "SELECT 1 AS one")).toEqual([{ one: 1 }]);
      const dbName = new URL(a.url).pathname.slice(1);
      await a.stop();
      await b.stop();
      expect(await query(server!.url, `SELECT 1 FROM pg_database WHERE datname = '${dbName}'`)).toEqual([]);
    } finally {
      if (before === undefined) delete process.env.TEST_DATABASE_URL_PG;
      else process.env.TEST_DATABASE_URL_PG = before;
    }
  });
});
