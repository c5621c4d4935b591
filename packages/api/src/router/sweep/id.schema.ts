import { z } from "zod";

export const sweepIdSchema = z.string().trim().min(1, "sweep id is required").max(100, "sweep id is at most 100 characters");
export const sweepByIdSchema = z.object({ id: sweepIdSchema });
