import { createRun } from "@fmnist/db/runs";
import type { z } from "zod";
import type { Context } from "../../trpc";
import type { createRunSchema } from "./create.schema";

/** Queues a run: a worker claims it (conditional update on QUEUED) and trains it. The whole config
 * is stored, name included, because the worker parses it with the same schema. */
export async function createRunHandler(ctx: Context, input: z.output<typeof createRunSchema>) {
  const { parentRunId, ...config } = input;
  // A clone whose source was deleted meanwhile is still a valid run, just without the link.
  const parent = parentRunId ? await ctx.db.run.findUnique({ where: { id: parentRunId }, select: { id: true } }) : null;
  return createRun(ctx.db, { config, status: "QUEUED", parentRunId: parent?.id ?? null }, { id: true, name: true, status: true });
}
