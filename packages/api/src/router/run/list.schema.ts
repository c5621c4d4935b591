import { RUN_STATUSES } from "@fmnist/db";
import { z } from "zod";

/** Columns of the experiments table that can be sorted. batchSize and learningRate live in the
 * run's config JSON; the handler sorts them with a JSON path expression. */
export const RUN_SORT_COLUMNS = [
  "name",
  "status",
  "architecture",
  "epochs",
  "batchSize",
  "learningRate",
  "bestValAccuracy",
  "testAccuracy",
  "durationMs",
  "backend",
  "createdAt",
] as const;
export type RunSortColumn = (typeof RUN_SORT_COLUMNS)[number];

export const SORT_DIRECTIONS = ["asc", "desc"] as const;
export type SortDirection = (typeof SORT_DIRECTIONS)[number];

export const LIST_LIMIT_MAX = 100;

export const listRunsSchema = z
  .object({
    limit: z.number().int().min(1).max(LIST_LIMIT_MAX).default(25),
    /** Offset of the first row to return; `nextCursor` of the previous page. */
    cursor: z.number().int().min(0).max(1_000_000_000).nullish(),
    sort: z
      .object({ column: z.enum(RUN_SORT_COLUMNS), direction: z.enum(SORT_DIRECTIONS) })
      .default({ column: "createdAt", direction: "desc" }),
    status: z.array(z.enum(RUN_STATUSES)).max(RUN_STATUSES.length).optional(),
    architecture: z.string().trim().min(1).max(100).optional(),
    /** Case-insensitive substring of the run name. */
    search: z.string().trim().max(200).optional(),
  })
  // No input at all means the first page with the defaults.
  .prefault({});

export type ListRunsInput = z.input<typeof listRunsSchema>;
