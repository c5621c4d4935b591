import { z } from "zod";
import { runIdSchema } from "../run/id.schema";
import { descriptionSchema, modelNameSchema } from "./names.schema";

/** Register a run's exported model as the next version of `name` (created on first use). */
export const registerSchema = z.object({ runId: runIdSchema, name: modelNameSchema, description: descriptionSchema });
