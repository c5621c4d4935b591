import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "prisma/config";

// Prisma 7's CLI insists on a native schema engine binary, which it downloads at start; offline
// that fails. `prisma generate` never runs it, so any executable satisfies the check. Migrations
// are created by scripts/migrate-dev.ts and applied by src/migrate.ts (both offline); with a real
// engine (online, or PRISMA_SCHEMA_ENGINE_BINARY pointing at one) the stock
// `prisma migrate deploy` / `migrate status` also work from this config: the schema and its
// migrations folder follow DATABASE_URL's provider.
if (!process.env.PRISMA_SCHEMA_ENGINE_BINARY) process.env.PRISMA_SCHEMA_ENGINE_BINARY = "/bin/true";

const url = process.env.DATABASE_URL?.trim() || "file:./data/fmnist.db";
const isPostgres = /^postgres(ql)?:\/\//i.test(url);
// Like src/config.ts: a relative SQLite path is relative to the repository root.
const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const sqliteFile = url.replace(/^file:/, "");
const datasourceUrl = isPostgres || isAbsolute(sqliteFile) ? url : `file:${resolve(repoRoot, sqliteFile)}`;

export default defineConfig({
  schema: isPostgres ? "prisma/postgres/schema.prisma" : "prisma/sqlite/schema.prisma",
  migrations: { path: isPostgres ? "prisma/postgres/migrations" : "prisma/sqlite/migrations" },
  datasource: { url: datasourceUrl },
});
