import { z } from "zod";
import { runIdSchema } from "./id.schema";

export const deleteRunSchema = z.object({ id: runIdSchema });
