import { MAX_TRIAL_BUDGET } from "@fmnist/sweep";
import { z } from "zod";
import { sweepIdSchema } from "./id.schema";

export const extendSweepSchema = z.object({
  id: sweepIdSchema,
  trials: z.number().int("trials must be a whole number").min(1, "add at least 1 trial").max(MAX_TRIAL_BUDGET, `trials is at most ${MAX_TRIAL_BUDGET}`),
});
