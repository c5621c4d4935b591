// Checks against Prisma's own schema engine (the wasm build, driven as in scripts/migrate-dev.ts):
//  - the committed migrations are exactly what the engine generates for the schemas (no drift);
//  - a database migrated by src/migrate.ts is seen as fully applied by the engine's
//    applyMigrations (what `prisma migrate deploy` runs), and the reverse.
// It also keeps the internal-API path of scripts/schema-engine.ts under test.
import { readFileSync } from "node:fs";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { postgresSchemaFrom } from "../scripts/migrate-dev";
import {
  diffMigrationsToSchema,
  NO_FILTER,
  openSchemaEngine,
  postgresShadowFactory,
  readMigrationsList,
  sqliteShadowFactory,
} from "../scripts/schema-engine";
import { checksum, migrate, migrationsDir } from "../src/migrate";
import { tempSqlite, withDatabase } from "./helpers";
import { startPostgres } from "./postgres";

const schemaFile = (p: "sqlite" | "postgres") => {
  const path = new URL(`../prisma/${p}/schema.prisma`, import.meta.url);
  return { path: path.pathname, content: readFileSync(path, "utf8") };
};

describe("schemas and migrations (SQLite, schema engine)", () => {
  it("prisma/postgres/schema.prisma is the SQLite schema with another provider and output", () => {
    expect(schemaFile("postgres").content).toBe(postgresSchemaFrom(schemaFile("sqlite").content));
  });

  it("the SQLite migrations produce exactly the schema", async () => {
    const schema = schemaFile("sqlite");
    const h = await openSchemaEngine(schema, sqliteShadowFactory());
    try {
      expect(await diffMigrationsToSchema(h, await readMigrationsList(migrationsDir("sqlite")), schema)).toBe("");
    } finally {
      h.engine.free();
    }
  });

  it("a database migrated by migrate() is up to date for the schema engine, and the reverse", async () => {
    const schema = schemaFile("sqlite");
    const list = await readMigrationsList(migrationsDir("sqlite"));
    const ours = tempSqlite();
    const theirs = tempSqlite();
    try {
      await migrate(ours.url);
      // The engine keeps its SQLite connection in EXCLUSIVE locking mode: close it when done.
      const a = closable(new PrismaBetterSqlite3({ url: ours.url }));
      const h1 = await openSchemaEngine(schema, a.factory);
      expect(await h1.engine.applyMigrations({ migrationsList: list, filters: NO_FILTER })).toEqual({ appliedMigrationNames: [] });
      h1.engine.free();
      await a.close();

      const b = closable(new PrismaBetterSqlite3({ url: theirs.url }));
      const h2 = await openSchemaEngine(schema, b.factory);
      expect((await h2.engine.applyMigrations({ migrationsList: list, filters: NO_FILTER })).appliedMigrationNames).toEqual(
        list.migrationDirectories.map((d) => d.path),
      );
      h2.engine.free();
      await b.close();
      expect((await migrate(theirs.url)).applied).toEqual([]);
    } finally {
      ours.cleanup();
      theirs.cleanup();
    }
  });
});

/** Wraps an adapter factory so the connections the engine opened can be closed afterwards. */
function closable(f: SqlMigrationAwareDriverAdapterFactory) {
  const opened: SqlDriverAdapter[] = [];
  const track = async (p: Promise<SqlDriverAdapter>) => {
    const a = await p;
    opened.push(a);
    return a;
  };
  const factory: SqlMigrationAwareDriverAdapterFactory = {
    provider: f.provider,
    adapterName: f.adapterName,
    connect: () => track(f.connect()),
    connectToShadowDb: () => track(f.connectToShadowDb()),
  };
  return { factory, close: () => Promise.all(opened.map((a) => a.dispose())) };
}

const server = await startPostgres();
afterAll(async () => {
  await server?.stop();
});
if (!server) console.warn("[db tests] PostgreSQL schema-engine checks skipped: no PostgreSQL binaries");

describe.skipIf(!server)("schemas and migrations (PostgreSQL, schema engine)", () => {
  async function freshDb(name: string): Promise<string> {
    const admin = new pg.Client({ connectionString: server!.url });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();
    return withDatabase(server!.url, name);
  }

  it("the PostgreSQL migrations produce exactly the schema", async () => {
    const schema = schemaFile("postgres");
    const h = await openSchemaEngine(schema, postgresShadowFactory(server!.url));
    try {
      expect(await diffMigrationsToSchema(h, await readMigrationsList(migrationsDir("postgres")), schema)).toBe("");
    } finally {
      h.engine.free();
    }
    // The shadow databases were dropped.
    const admin = new pg.Client({ connectionString: server!.url });
    await admin.connect();
    const { rows } = await admin.query("SELECT datname FROM pg_database WHERE datname LIKE 'prisma_migrate_shadow_db_%'");
    await admin.end();
    expect(rows).toEqual([]);
  });

  it("a database migrated by migrate() is up to date for the schema engine, and the reverse", async () => {
    const schema = schemaFile("postgres");
    const list = await readMigrationsList(migrationsDir("postgres"));

    const ours = await freshDb("compat_ours");
    await migrate(ours);
    // The engine takes pg_advisory_lock(72707369) and never releases it: close its connections.
    const a = closable(postgresShadowFactory(ours));
    const h1 = await openSchemaEngine(schema, a.factory);
    try {
      expect(await h1.engine.applyMigrations({ migrationsList: list, filters: NO_FILTER })).toEqual({ appliedMigrationNames: [] });
      const diag = await h1.engine.diagnoseMigrationHistory({ migrationsList: list, optInToShadowDatabase: false, filters: NO_FILTER });
      expect(diag).toMatchObject({ editedMigrationNames: [], failedMigrationNames: [], hasMigrationsTable: true, history: null });
    } finally {
      h1.engine.free();
      await a.close();
    }

    const theirs = await freshDb("compat_theirs");
    const b = closable(postgresShadowFactory(theirs));
    const h2 = await openSchemaEngine(schema, b.factory);
    try {
      const res = await h2.engine.applyMigrations({ migrationsList: list, filters: NO_FILTER });
      expect(res.appliedMigrationNames).toEqual(list.migrationDirectories.map((d) => d.path));
    } finally {
      h2.engine.free();
      await b.close();
    }
    expect((await migrate(theirs)).applied).toEqual([]);
    // Both recorded the same checksum.
    const c = new pg.Client({ connectionString: theirs });
    await c.connect();
    const { rows } = await c.query("SELECT checksum FROM _prisma_migrations");
    await c.end();
    const first = list.migrationDirectories[0].migrationFile.content;
    expect(rows[0].checksum).toBe(checksum(first.tag === "ok" ? first.value : ""));
  });
});
