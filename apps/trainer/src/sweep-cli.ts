import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { createDb } from "@fmnist/db/client";
import { databaseUrl } from "@fmnist/db/config";
import { migrate } from "@fmnist/db/migrate";
import { sweepDefinitionSchema } from "@fmnist/sweep";
import { createSweep } from "@fmnist/sweep/advance";
import type { Command } from "commander";

/** `pnpm sweep --config sweep.json`: validates the definition with the API's schema, creates the
 * sweep and queues its first trials; workers (`pnpm worker`, any machine on the same database) train
 * them. Prints the sweep id alone on stdout. Exit 2 on a bad file or definition, nothing created. */
export function addSweepCommand(program: Command): void {
  program
    .command("sweep")
    .description("start a hyper-parameter sweep from a JSON definition; workers train its trials")
    .requiredOption("-c, --config <file>", "sweep definition (JSON: name, method, objective, trialBudget, maxConcurrent, space, base, earlyTermination, seed)")
    .action(async (o: { config: string }) => {
      const path = resolve(process.env.INIT_CWD ?? process.cwd(), o.config);
      let input: unknown;
      try {
        input = JSON.parse(readFileSync(path, "utf8"));
      } catch (e) {
        console.error(`error: ${path}: ${(e as Error).message}`);
        process.exit(2);
      }
      const parsed = sweepDefinitionSchema.safeParse(input);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) console.error(`error: ${issue.path.join(".") || "(definition)"}: ${issue.message}`);
        process.exit(2);
      }
      await migrate(databaseUrl(), { log: () => {} });
      const db = createDb();
      try {
        const sweep = await createSweep(db, parsed.data);
        console.error(`sweep ${sweep.id} (${sweep.name}): ${parsed.data.method}, ${parsed.data.trialBudget} trials, ${sweep.queued} queued; start workers with \`pnpm worker\``);
        console.log(sweep.id);
      } finally {
        await db.$disconnect();
      }
    });
}
