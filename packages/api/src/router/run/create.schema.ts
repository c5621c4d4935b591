import { trainConfigSchema } from "@fmnist/model/train-config";
import type { z } from "zod";
import { runIdSchema } from "./id.schema";

/** A new run: exactly the train config the form validates with (the same zod schema, from the
 * tfjs-free subpath), plus the run it was cloned from, if any. */
export const createRunSchema = trainConfigSchema.extend({ parentRunId: runIdSchema.nullish() });
export type CreateRunInput = z.input<typeof createRunSchema>;
