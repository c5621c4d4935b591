import { requestedTrainConfig, retryName, trainConfigSchema } from "@fmnist/model/train-config";
import { TRPCError } from "@trpc/server";
import type { z } from "zod";
import { runNotFound } from "../../lib/not-found";
import type { Context } from "../../trpc";
import { describeZodError } from "../../trpc";
import { createRunHandler } from "./create.handler";
import type { retryRunSchema } from "./retry.schema";

export { retryName };

/** A failed or cancelled run again, as a NEW queued run with the same config (the old one keeps
 * its history and is linked as the parent). */
export async function retryRunHandler(ctx: Context, input: z.output<typeof retryRunSchema>) {
  const run = await ctx.db.run.findUnique({ where: { id: input.id }, select: { id: true, name: true, status: true, config: true, kind: true, datasetSubset: true } });
  if (!run) throw runNotFound(input.id);
  if (run.kind === "imported") {
    throw new TRPCError({ code: "BAD_REQUEST", message: `"${run.name}" is an imported model, not a training run: import its file again instead.` });
  }
  if (run.status !== "FAILED" && run.status !== "CANCELLED") {
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: `Only failed or cancelled runs can be retried; "${run.name}" is ${run.status.toLowerCase()}. Use Clone to start another like it.`,
    });
  }
  const config = trainConfigSchema.safeParse({ ...requestedTrainConfig(run.config, run), name: retryName(run.name) });
  if (!config.success) {
    // A run recorded by an older trainer: the form (Clone) lets a person fix the values.
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: `The stored config of "${run.name}" is not valid any more (${describeZodError(config.error)}); use Clone and fix it.`,
    });
  }
  return createRunHandler(ctx, { ...config.data, parentRunId: run.id });
}
