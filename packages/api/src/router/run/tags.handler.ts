import type { z } from "zod";
import { runNotFound } from "../../lib/not-found";
import type { Context } from "../../trpc";
import type { setRunNoteSchema, setRunTagsSchema } from "./tags.schema";

/** A run deleted while its tags are written: the foreign key refuses the rows (P2003/P2025). */
const vanished = (e: unknown) => ["P2003", "P2025"].includes((e as { code?: string })?.code ?? "");

/** Replaces a run's tags (any status: labels are bookkeeping, not training). Sorted, duplicates
 * folded, in one transaction so a reader never sees half of the change. */
export async function setRunTagsHandler(ctx: Context, input: z.output<typeof setRunTagsSchema>) {
  const tags = [...new Set(input.tags)].sort();
  try {
    await ctx.db.$transaction(async (tx) => {
      const run = await tx.run.findUnique({ where: { id: input.id }, select: { id: true } });
      if (!run) throw runNotFound(input.id);
      await tx.runTag.deleteMany({ where: { runId: run.id } });
      if (tags.length) await tx.runTag.createMany({ data: tags.map((tag) => ({ runId: run.id, tag })) });
    });
  } catch (e) {
    if (vanished(e)) throw runNotFound(input.id);
    throw e;
  }
  return { id: input.id, tags };
}

/** Sets or (with an empty text) clears a run's note. */
export async function setRunNoteHandler(ctx: Context, input: z.output<typeof setRunNoteSchema>) {
  const note = input.note.trim() || null;
  const { count } = await ctx.db.run.updateMany({ where: { id: input.id }, data: { note } });
  if (count === 0) throw runNotFound(input.id);
  return { id: input.id, note };
}
