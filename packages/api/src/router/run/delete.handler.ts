import { rmSync } from "node:fs";
import { TERMINAL_STATUSES } from "@fmnist/db";
import { runArtifactsDir } from "@fmnist/db/artifacts";
import { TRPCError } from "@trpc/server";
import type { z } from "zod";
import { runNotFound } from "../../lib/not-found";
import type { Context } from "../../trpc";
import type { deleteRunSchema } from "./delete.schema";

/** Removes a finished run: its rows (epochs, evaluation, misclassified images and artifact records
 * go with it) and its exported files. A queued or running run must be cancelled first, so no
 * worker is still writing to what is deleted. */
export async function deleteRunHandler(ctx: Context, input: z.output<typeof deleteRunSchema>) {
  const run = await ctx.db.run.findUnique({ where: { id: input.id }, select: { id: true, name: true, status: true } });
  if (!run) throw runNotFound(input.id);
  const refuse = (status: string) =>
    new TRPCError({ code: "BAD_REQUEST", message: `Run "${run.name}" is ${status.toLowerCase()}; cancel it first: only finished runs can be deleted.` });
  if (!TERMINAL_STATUSES.includes(run.status as never)) throw refuse(run.status);
  // Registered versions keep the run (the foreign key is Restrict): say which, instead of a 500.
  const versions = await ctx.db.modelVersion.findMany({ where: { runId: run.id }, select: { version: true, model: { select: { name: true } } }, orderBy: { version: "asc" } });
  if (versions.length) throw registeredRun(run.name, versions);

  let count: number;
  try {
    ({ count } = await ctx.db.run.deleteMany({ where: { id: run.id, status: { in: [...TERMINAL_STATUSES] } } }));
  } catch (e) {
    // Registered between the check above and the delete: the foreign key refused it.
    if ((e as { code?: string })?.code !== "P2003") throw e;
    const now = await ctx.db.modelVersion.findMany({ where: { runId: run.id }, select: { version: true, model: { select: { name: true } } } });
    throw registeredRun(run.name, now);
  }
  if (count === 0) {
    const now = await ctx.db.run.findUnique({ where: { id: run.id }, select: { status: true } });
    throw now ? refuse(now.status) : runNotFound(run.id);
  }
  const dir = runArtifactsDir(run.id);
  if (dir) rmSync(dir, { recursive: true, force: true });
  return { id: run.id, deleted: true as const };
}

function registeredRun(name: string, versions: { version: number; model: { name: string } }[]): TRPCError {
  const list = versions.map((v) => `${v.model.name} v${v.version}`).join(", ");
  return new TRPCError({ code: "CONFLICT", message: `Run "${name}" is registered as ${list || "a model version"}; delete ${versions.length === 1 ? "that version" : "those versions"} in the model registry first` });
}
