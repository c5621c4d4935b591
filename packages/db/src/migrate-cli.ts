// `pnpm --filter @fmnist/db migrate` (root: `pnpm db:migrate`): applies pending migrations to
// DATABASE_URL (default file:./data/fmnist.db at the repository root), offline.
import { databaseUrl } from "./config";
import { describeDatabase, migrate } from "./migrate";

async function main() {
  const url = databaseUrl();
  const where = describeDatabase(url);
  const t0 = performance.now();
  const { applied } = await migrate(url, { log: (s) => console.log(`  ${s}`) });
  const ms = Math.round(performance.now() - t0);
  if (applied.length === 0) console.log(`${where}: already up to date, nothing applied (${ms} ms).`);
  else console.log(`${where}: applied ${applied.length} migration(s) in ${ms} ms: ${applied.join(", ")}`);
}

main().catch((err) => {
  console.error(`Migration failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
