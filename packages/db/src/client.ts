import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { databaseKind, databaseUrl, sqlitePath } from "./config";
import { PrismaClient as PostgresClient } from "./generated/postgres/client";
import { PrismaClient as SqliteClient } from "./generated/sqlite/client";

/** Both generated clients have the same models and API (the schemas differ only in provider),
 * so the rest of the code sees one type. */
export type Db = SqliteClient;

export function createDb(url = databaseUrl()): Db {
  if (databaseKind(url) === "postgres") {
    const adapter = new PrismaPg({ connectionString: url });
    return new PostgresClient({ adapter }) as unknown as Db;
  }
  const file = sqlitePath(url);
  mkdirSync(dirname(file), { recursive: true });
  // A 10 s busy timeout lets the web app, the CLI and several workers share one file without
  // SQLITE_BUSY errors on short write bursts.
  const adapter = new PrismaBetterSqlite3({ url: `file:${file}`, timeout: 10_000 });
  return new SqliteClient({ adapter });
}

let shared: Db | undefined;
/** One client per process (Next.js dev reloads modules; keep the client on globalThis). */
export function db(): Db {
  const g = globalThis as { __fmnistDb?: Db };
  shared ??= g.__fmnistDb ??= createDb();
  return shared;
}
