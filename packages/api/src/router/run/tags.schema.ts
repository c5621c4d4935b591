import { z } from "zod";
import { runIdSchema } from "./id.schema";

/** A run's label ("baseline", "lr-sweep"): short, one line, no comma (the experiments page keeps a
 * tag filter in the URL as a comma-separated list). Shared by the list filter and the mutations. */
export const TAG_MAX_LENGTH = 40;
export const TAGS_PER_RUN_MAX = 20;
export const NOTE_MAX_LENGTH = 2000;

export const tagSchema = z
  .string()
  .trim()
  .min(1, "a tag cannot be empty")
  .max(TAG_MAX_LENGTH, `a tag has at most ${TAG_MAX_LENGTH} characters`)
  .regex(/^[^,\p{Cc}]+$/u, "a tag cannot contain commas or control characters");

/** Replaces a run's tags with this set (duplicates folded). */
export const setRunTagsSchema = z.object({
  id: runIdSchema,
  tags: z.array(tagSchema).max(TAGS_PER_RUN_MAX, `a run has at most ${TAGS_PER_RUN_MAX} tags`),
});

/** The free-text note; empty clears it. */
export const setRunNoteSchema = z.object({
  id: runIdSchema,
  note: z.string().max(NOTE_MAX_LENGTH, `a note has at most ${NOTE_MAX_LENGTH} characters`),
});
