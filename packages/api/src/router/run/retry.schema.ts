import { z } from "zod";
import { runIdSchema } from "./id.schema";

export const retryRunSchema = z.object({ id: runIdSchema });
