import type { z } from "zod";
import { asConfig, configDatasetDir } from "../../lib/config";
import { runNotFound } from "../../lib/not-found";
import type { Context } from "../../trpc";
import type { runByIdSchema } from "./byId.schema";

/** Where the run's test images are: the misclassified gallery draws them from this directory. */
export async function runDatasetHandler(ctx: Context, input: z.output<typeof runByIdSchema>) {
  const run = await ctx.db.run.findUnique({ where: { id: input.id }, select: { config: true, datasetDir: true } });
  if (!run) throw runNotFound(input.id);
  const config = asConfig(run.config);
  return {
    // Older rows recorded the directory inside the config.
    dir: run.datasetDir ?? configDatasetDir(config),
    /** "fixture-subset" or "fashion-mnist" when the config names the dataset rather than a dir. */
    dataset: typeof config.dataset === "string" ? config.dataset : null,
  };
}
