import { failExpiredLeases } from "@fmnist/db/leases";
import { TRPCError } from "@trpc/server";
import type { z } from "zod";
import { runNotFound } from "../../lib/not-found";
import { finishedWord } from "../../lib/status";
import type { Context } from "../../trpc";
import type { cancelRunSchema } from "./cancel.schema";

/**
 * QUEUED -> CANCELLED at once; RUNNING -> cancelRequested, which the worker reads with its next
 * progress write (about once a second) and honours after the current batch. Every write is
 * conditional on the status just read; when a worker moved the run in between (claimed it,
 * finished it), the loop reads again and acts on the new state instead of overwriting it.
 */
export async function cancelRunHandler(ctx: Context, input: z.output<typeof cancelRunSchema>) {
  // A run whose worker died is FAILED, not waiting for a cancel nobody will honour.
  await failExpiredLeases(ctx.db);
  for (let attempt = 0; attempt < 5; attempt++) {
    const run = await ctx.db.run.findUnique({ where: { id: input.id }, select: { id: true, name: true, status: true } });
    if (!run) throw runNotFound(input.id);
    if (run.status === "QUEUED") {
      const { count } = await ctx.db.run.updateMany({
        where: { id: run.id, status: "QUEUED" },
        data: { status: "CANCELLED", cancelRequested: true, finishedAt: new Date() },
      });
      if (count === 1) return { id: run.id, status: "CANCELLED" as const, cancelRequested: true };
    } else if (run.status === "RUNNING") {
      const { count } = await ctx.db.run.updateMany({ where: { id: run.id, status: "RUNNING" }, data: { cancelRequested: true } });
      if (count === 1) return { id: run.id, status: "RUNNING" as const, cancelRequested: true };
    } else {
      throw new TRPCError({
        code: "BAD_REQUEST",
        message: `Run "${run.name}" has already ${finishedWord(run.status)}; only queued or running runs can be cancelled.`,
      });
    }
  }
  throw new TRPCError({ code: "CONFLICT", message: "The run kept changing state; try again." });
}
