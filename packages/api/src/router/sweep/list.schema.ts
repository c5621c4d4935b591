import { z } from "zod";

export const listSweepsSchema = z
  .object({
    limit: z.number().int().min(1).max(100).default(50),
    cursor: z.number().int().min(0).max(1_000_000_000).nullish(),
  })
  .default({ limit: 50 });
