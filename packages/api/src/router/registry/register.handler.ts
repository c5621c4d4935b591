import { TRPCError } from "@trpc/server";
import type { z } from "zod";
import { runNotFound } from "../../lib/not-found";
import { registryChanged } from "../../lib/registry-events";
import type { Context } from "../../trpc";
import { isUniqueViolation } from "./errors";
import type { registerSchema } from "./register.schema";

const MODEL_KINDS = ["tfjs-layers-model", "tfjs-weights"];

/** Registers a SUCCEEDED run's exported model as version max+1 of the named model (created on
 * first use). The number is taken inside a transaction; when two registrations race on PostgreSQL
 * the unique (model, version) index refuses one, which then tries again. */
export async function registerHandler(ctx: Context, input: z.output<typeof registerSchema>) {
  const run = await ctx.db.run.findUnique({
    where: { id: input.runId },
    select: { id: true, name: true, status: true, testAccuracy: true, artifacts: { select: { kind: true, sizeBytes: true } } },
  });
  if (!run) throw runNotFound(input.runId);
  if (!run.artifacts.some((a) => a.kind === "tfjs-layers-model")) {
    throw new TRPCError({ code: "BAD_REQUEST", message: `Run "${run.name}" has no exported model to register` });
  }
  if (run.status !== "SUCCEEDED") {
    throw new TRPCError({ code: "BAD_REQUEST", message: `Run "${run.name}" is ${run.status.toLowerCase()}; only succeeded runs can be registered` });
  }
  const sizeBytes = run.artifacts.filter((a) => MODEL_KINDS.includes(a.kind)).reduce((s, a) => s + a.sizeBytes, 0);

  for (let attempt = 1; ; attempt++) {
    try {
      const created = await ctx.db.$transaction(async (tx) => {
        const model = await tx.registeredModel.upsert({
          where: { name: input.name },
          create: { name: input.name },
          update: {},
          select: { id: true, name: true },
        });
        const last = await tx.modelVersion.aggregate({ where: { modelId: model.id }, _max: { version: true } });
        return tx.modelVersion.create({
          data: {
            modelId: model.id,
            version: (last._max.version ?? 0) + 1,
            runId: run.id,
            testAccuracy: run.testAccuracy,
            sizeBytes,
            description: input.description || null,
          },
          select: { id: true, version: true, runId: true, testAccuracy: true, sizeBytes: true, createdAt: true },
        });
      });
      registryChanged({ name: input.name, kind: "version-registered" });
      return { name: input.name, ...created };
    } catch (e) {
      if (!isUniqueViolation(e) || attempt >= 5) throw e;
    }
  }
}
