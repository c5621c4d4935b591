import { failExpiredLeases } from "@fmnist/db/leases";
import { requestCancel } from "@fmnist/db/runs";
import { TRPCError } from "@trpc/server";
import type { z } from "zod";
import { runNotFound } from "../../lib/not-found";
import { finishedWord } from "../../lib/status";
import type { Context } from "../../trpc";
import type { cancelRunSchema } from "./cancel.schema";

/** QUEUED -> CANCELLED at once; RUNNING -> cancelRequested, honoured by the worker after the
 * current batch (the run module's requestCancel: conditional writes, safe against a racing worker). */
export async function cancelRunHandler(ctx: Context, input: z.output<typeof cancelRunSchema>) {
  // A run whose worker died is FAILED, not waiting for a cancel nobody will honour.
  await failExpiredLeases(ctx.db);
  const r = await requestCancel(ctx.db, input.id);
  switch (r.outcome) {
    case "missing":
      throw runNotFound(input.id);
    case "conflict":
      throw new TRPCError({ code: "CONFLICT", message: "The run kept changing state; try again." });
    case "finished":
      throw new TRPCError({
        code: "BAD_REQUEST",
        message: `Run "${r.run.name}" has already ${finishedWord(r.run.status)}; only queued or running runs can be cancelled.`,
      });
    case "cancelled":
      return { id: r.run.id, status: "CANCELLED" as const, cancelRequested: true };
    case "requested":
      return { id: r.run.id, status: "RUNNING" as const, cancelRequested: true };
  }
}
