import { TRPCError } from "@trpc/server";
import type { z } from "zod";
import type { Context } from "../../trpc";
import { cancelRunHandler } from "../run/cancel.handler";
import type { sweepByIdSchema } from "./id.schema";
import { sweepNotFound } from "./not-found";

/** Marks the sweep CANCELLED first (so nobody queues another trial), then cancels its queued and
 * running trials through the runs' own cancel path (queued at once, running after their batch). */
export async function cancelSweepHandler(ctx: Context, input: z.output<typeof sweepByIdSchema>) {
  const sweep = await ctx.db.sweep.findUnique({ where: { id: input.id }, select: { id: true, name: true, status: true } });
  if (!sweep) throw sweepNotFound(input.id);
  const { count } = await ctx.db.sweep.updateMany({ where: { id: sweep.id, status: "RUNNING" }, data: { status: "CANCELLED", finishedAt: new Date() } });
  if (count !== 1) throw new TRPCError({ code: "BAD_REQUEST", message: `Sweep "${sweep.name}" is ${sweep.status.toLowerCase()}; only a running sweep can be cancelled.` });
  const active = await ctx.db.run.findMany({ where: { sweepId: sweep.id, status: { in: ["QUEUED", "RUNNING"] } }, select: { id: true } });
  let cancelled = 0;
  for (const run of active) {
    // A trial that finished in between is simply left as it ended.
    const r = await cancelRunHandler(ctx, { id: run.id }).catch(() => null);
    if (r) cancelled++;
  }
  return { id: sweep.id, status: "CANCELLED" as const, trialsCancelled: cancelled };
}
