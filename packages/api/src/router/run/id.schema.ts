import { z } from "zod";

/** Run ids are cuids; the bound keeps junk out of the database layer. */
export const runIdSchema = z.string().trim().min(1, "run id is required").max(100, "run id is at most 100 characters");
