import { z } from "zod";
import { runIdSchema } from "../run/id.schema";

export const COMPARE_MIN = 2;
export const COMPARE_MAX = 4;

export const compareSchema = z.object({
  ids: z
    .array(runIdSchema)
    .min(COMPARE_MIN, `compare needs at least ${COMPARE_MIN} runs`)
    .max(COMPARE_MAX, `compare takes at most ${COMPARE_MAX} runs`)
    .refine((ids) => new Set(ids).size === ids.length, "each run may appear only once"),
});
export type CompareInput = z.input<typeof compareSchema>;
