import { z } from "zod";
import { runIdSchema } from "./id.schema";

// Fashion-MNIST has 10 classes. Not imported from @fmnist/model: this file is browser-safe and
// that package's entry point pulls in tfjs.
const NUM_CLASSES = 10;
const label = z.number().int().min(0).max(NUM_CLASSES - 1);

export const MISCLASSIFIED_LIMIT_MAX = 100;

export const misclassifiedSchema = z.object({
  runId: runIdSchema,
  trueLabel: label.nullish(),
  predLabel: label.nullish(),
  limit: z.number().int().min(1).max(MISCLASSIFIED_LIMIT_MAX).default(40),
  /** Offset of the first image; `nextCursor` of the previous page. */
  cursor: z.number().int().min(0).max(1_000_000_000).nullish(),
});
export type MisclassifiedInput = z.input<typeof misclassifiedSchema>;
