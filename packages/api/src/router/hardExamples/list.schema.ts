import { z } from "zod";
import { runIdSchema } from "../run/id.schema";

// Not imported from @fmnist/model: this file is browser-safe and that package's entry pulls in tfjs.
const label = z.number().int().min(0).max(9);

export const HARD_EXAMPLES_MAX_RUNS = 500;
export const HARD_EXAMPLES_LIMIT_MAX = 200;

export const hardExamplesSchema = z.object({
  /** The runs to aggregate; omitted = every succeeded run on the full test set (else on the test
   * set of the latest succeeded run). */
  runIds: z
    .array(runIdSchema)
    .min(1, "select at least one run")
    .max(HARD_EXAMPLES_MAX_RUNS, `at most ${HARD_EXAMPLES_MAX_RUNS} runs`)
    .refine((ids) => new Set(ids).size === ids.length, "each run may appear only once")
    .nullish(),
  /** Instead of runIds: every succeeded run evaluated on the same test set as this run. */
  sameTestSetAs: runIdSchema.nullish(),
  /** "most": most runs wrong first; "all": only images every selected run got wrong. */
  view: z.enum(["most", "all"]).default("most"),
  /** Only mistakes of this true class / predicted as this class (a confusion-matrix cell). */
  trueLabel: label.nullish(),
  predLabel: label.nullish(),
  limit: z.number().int().min(1).max(HARD_EXAMPLES_LIMIT_MAX).default(48),
  cursor: z.number().int().min(0).max(1_000_000).nullish(),
});
export type HardExamplesInput = z.input<typeof hardExamplesSchema>;
