import { z } from "zod";
import { runIdSchema } from "./id.schema";

export const cancelRunSchema = z.object({ id: runIdSchema });
