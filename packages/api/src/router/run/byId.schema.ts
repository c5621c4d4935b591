import { z } from "zod";
import { runIdSchema } from "./id.schema";

export const runByIdSchema = z.object({ id: runIdSchema });
export type RunByIdInput = z.input<typeof runByIdSchema>;
