import { RUN_STATUSES } from "@fmnist/db";
import { z } from "zod";
import { tagSchema } from "./tags.schema";

/** Columns of the experiments table that can be sorted. batchSize and learningRate are
 * hyper-parameters (RunParam rows), like any `param:<key>`; the rest are the run's own columns. */
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

/** A config field's name as RunParam keeps it (the train config's keys are camelCase words). */
export const PARAM_KEY = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
export type ParamSort = `param:${string}`;
const paramSortSchema = z.custom<ParamSort>(
  (v) => typeof v === "string" && v.startsWith("param:") && PARAM_KEY.test(v.slice(6)),
  'sort by a hyper-parameter as "param:<configField>", e.g. "param:dropout"',
);

export const SORT_DIRECTIONS = ["asc", "desc"] as const;
export type SortDirection = (typeof SORT_DIRECTIONS)[number];

export const LIST_LIMIT_MAX = 100;

export const PARAM_FILTER_OPS = ["eq", "lt", "lte", "gt", "gte"] as const;
/** One condition on a hyper-parameter: numbers (booleans as 0/1) with any comparison, text with
 * eq. Several conditions all hold (AND). */
export const paramFilterSchema = z
  .object({
    key: z.string().regex(PARAM_KEY, "a parameter key is a config field name (letters, digits, _)"),
    op: z.enum(PARAM_FILTER_OPS).default("eq"),
    value: z.union([z.number().finite(), z.boolean(), z.string().max(200)]),
  })
  .refine((f) => typeof f.value !== "string" || f.op === "eq", { message: "text parameters can only be compared with eq", path: ["op"] });
export type ParamFilter = z.output<typeof paramFilterSchema>;

export const listRunsSchema = z
  .object({
    limit: z.number().int().min(1).max(LIST_LIMIT_MAX).default(25),
    /** Offset of the first row to return; `nextCursor` of the previous page. */
    cursor: z.number().int().min(0).max(1_000_000_000).nullish(),
    sort: z
      .object({
        column: z.union([z.enum(RUN_SORT_COLUMNS), paramSortSchema], {
          error: `Invalid option: expected one of ${RUN_SORT_COLUMNS.join(", ")} or param:<config field>`,
        }),
        direction: z.enum(SORT_DIRECTIONS),
      })
      .default({ column: "createdAt", direction: "desc" }),
    status: z.array(z.enum(RUN_STATUSES)).max(RUN_STATUSES.length).optional(),
    architecture: z.string().trim().min(1).max(100).optional(),
    /** Case-insensitive substring of the run name. */
    search: z.string().trim().max(200).optional(),
    /** Runs with any of these tags. */
    tags: z.array(tagSchema).max(20).optional(),
    /** The trials of one sweep (the sweeps pages link to `/?sweep=<id>`). */
    sweepId: z.string().trim().min(1).max(100).optional(),
    params: z.array(paramFilterSchema).max(10).optional(),
  })
  // No input at all means the first page with the defaults.
  .prefault({});

export type ListRunsInput = z.input<typeof listRunsSchema>;
