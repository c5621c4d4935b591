// `pnpm --filter @fmnist/db migrate:dev --name <name>`: the offline counterpart of
// `prisma migrate dev --create-only`, for both providers.
//
// prisma/sqlite/schema.prisma is the source of truth. This script
//  1. rewrites prisma/postgres/schema.prisma from it (only the provider and output differ),
//  2. for each provider, asks Prisma's schema engine (wasm build, see ./schema-engine.ts) for the
//     migration from the existing migrations folder to the schema (its `diff`, the renderer
//     `prisma migrate dev` uses too), replaying the folder on a
//     shadow database (SQLite: in memory; PostgreSQL: SHADOW_DATABASE_URL, else
//     TEST_DATABASE_URL_PG, else a throwaway cluster from test/postgres.ts),
//  3. writes prisma/<provider>/migrations/<timestamp>_<name>/migration.sql and migration_lock.toml
//     exactly as the Prisma CLI does. Apply them with `pnpm db:migrate` (src/migrate.ts).
//
// `--check` writes nothing and exits 1 when the schema and the migrations differ (for CI).
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { startPostgres } from "../test/postgres";
import {
  diffMigrationsToSchema,
  lockfileContent,
  openSchemaEngine,
  type Provider,
  postgresShadowFactory,
  readMigrationsList,
  sqliteShadowFactory,
} from "./schema-engine";

const pkgDir = dirname(dirname(fileURLToPath(import.meta.url)));
const sqliteSchemaPath = join(pkgDir, "prisma/sqlite/schema.prisma");
const postgresSchemaPath = join(pkgDir, "prisma/postgres/schema.prisma");

const POSTGRES_HEADER = `// PostgreSQL schema (several machines). Generated from prisma/sqlite/schema.prisma: identical but for
// the datasource provider and output (Prisma's provider is static per schema).
`;

/** prisma/postgres/schema.prisma as derived from the SQLite schema. */
export function postgresSchemaFrom(sqliteSchema: string): string {
  const lines = sqliteSchema.split("\n");
  let i = 0;
  while (i < lines.length && lines[i].startsWith("//")) i++; // the header comment
  const body = lines
    .slice(i)
    .join("\n")
    .replace('output       = "../../src/generated/sqlite"', 'output       = "../../src/generated/postgres"')
    .replace(/(datasource db \{\s*provider\s*=\s*)"sqlite"/, '$1"postgresql"');
  if (!body.includes('"postgresql"') || !body.includes("generated/postgres")) {
    throw new Error("Could not derive the PostgreSQL schema: the generator output or datasource block changed shape");
  }
  return POSTGRES_HEADER + body;
}

function parseArgs(argv: string[]): { name?: string; check: boolean } {
  let name: string | undefined;
  let check = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--name" || a === "-n") name = argv[++i];
    else if (a.startsWith("--name=")) name = a.slice(7);
    else if (a === "--check") check = true;
    else if (a === "--") continue;
    else throw new Error(`Unknown argument ${a}. Usage: migrate:dev --name <name> | --check`);
  }
  return { name, check };
}

function timestamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

interface Planned {
  provider: Provider;
  dir: string;
  script: string | null;
}

async function plan(provider: Provider, schemaPath: string, shadowUrl?: string): Promise<Planned> {
  const dir = join(dirname(schemaPath), "migrations");
  const schema = { path: schemaPath, content: await readFile(schemaPath, "utf8") };
  const factory = provider === "sqlite" ? sqliteShadowFactory() : postgresShadowFactory(shadowUrl!);
  const handle = await openSchemaEngine(schema, factory);
  try {
    const migrations = await readMigrationsList(dir);
    if (migrations.lockfile.content && !migrations.lockfile.content.includes(`provider = "${provider}"`)) {
      throw new Error(`${relative(pkgDir, dir)}/migration_lock.toml names another provider than "${provider}"`);
    }
    // `prisma migrate dev` calls the engine's createMigration, but the wasm build never hands it
    // the external (driver adapter) shadow database. `diff --from-migrations --to-schema --script`
    // replays the folder on the shadow database and renders the script with the same renderer.
    const script = await diffMigrationsToSchema(handle, migrations, schema);
    return { provider, dir, script: script === "" ? null : script };
  } finally {
    handle.engine.free();
  }
}

async function main() {
  const { name, check } = parseArgs(process.argv.slice(2));
  const t0 = Date.now();

  const sqliteSchema = await readFile(sqliteSchemaPath, "utf8");
  const wantPg = postgresSchemaFrom(sqliteSchema);
  const havePg = existsSync(postgresSchemaPath) ? await readFile(postgresSchemaPath, "utf8") : "";
  if (havePg !== wantPg) {
    if (check) {
      console.error("prisma/postgres/schema.prisma is out of date with prisma/sqlite/schema.prisma (run migrate:dev)");
      process.exitCode = 1;
    } else {
      await writeFile(postgresSchemaPath, wantPg);
      console.log("Updated prisma/postgres/schema.prisma from the SQLite schema (run `pnpm db:generate`).");
    }
  }

  const plans: Planned[] = [await plan("sqlite", sqliteSchemaPath)];
  const shadowUrl = process.env.SHADOW_DATABASE_URL?.trim() || undefined;
  const server = shadowUrl ? null : await startPostgres();
  if (!shadowUrl && !server) {
    throw new Error("PostgreSQL migrations need a shadow server: install PostgreSQL or set SHADOW_DATABASE_URL");
  }
  try {
    plans.push(await plan("postgresql", postgresSchemaPath, shadowUrl ?? server!.url));
  } finally {
    await server?.stop();
  }

  const changed = plans.filter((p) => p.script !== null);
  if (check) {
    for (const p of changed) console.error(`${p.provider}: the schema has changes that no migration covers:\n${p.script}`);
    if (changed.length > 0) process.exitCode = 1;
    else if (!process.exitCode) console.log(`Schema and migrations are in sync (${Date.now() - t0} ms).`);
    return;
  }
  if (changed.length === 0) {
    console.log(`Already in sync: no migration needed (${Date.now() - t0} ms).`);
    return;
  }
  if (!name || !/^[A-Za-z0-9_]+$/.test(name)) {
    throw new Error("Pass --name <name> (letters, digits, underscores) for the new migration");
  }
  const folder = `${timestamp()}_${name}`;
  for (const p of changed) {
    const target = join(p.dir, folder);
    if (existsSync(target)) throw new Error(`${target} already exists`);
    await mkdir(target, { recursive: true });
    await writeFile(join(target, "migration.sql"), p.script!, "utf8");
    await writeFile(join(p.dir, "migration_lock.toml"), lockfileContent(p.provider), "utf8");
    console.log(`Created ${relative(pkgDir, join(target, "migration.sql"))}`);
  }
  console.log(`Done in ${Date.now() - t0} ms. Apply with \`pnpm db:migrate\`.`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
