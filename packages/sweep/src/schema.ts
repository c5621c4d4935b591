// The sweep definition: one zod schema for the API, the dashboard's form and the CLI. Browser-safe
// (zod and the train-config schema only).
import { type TrainConfig, trainConfigSchema } from "@fmnist/model/train-config";
import { z } from "zod";

/** Trials one sweep may run in all (extensions included): a sweep is a batch of ordinary runs in a
 * shared queue, and hundreds of them would crowd everyone else out. */
export const MAX_TRIAL_BUDGET = 200;
export const MAX_CONCURRENT = 32;
/** Grid points per numeric range (grid search only). */
export const MAX_GRID_STEPS = 20;
export const SWEEP_METHODS = ["grid", "random", "tpe"] as const;
export const SWEEP_OBJECTIVES = ["val_accuracy", "val_loss"] as const;
export type SweepMethod = (typeof SWEEP_METHODS)[number];
export type SweepObjective = (typeof SWEEP_OBJECTIVES)[number];

/** Whether the objective is maximised. */
export function maximises(objective: SweepObjective): boolean {
  return objective === "val_accuracy";
}

const rangeSchema = z.object({
  type: z.literal("range"),
  min: z.number(),
  max: z.number(),
  /** log: sampled uniformly in log space (learning rates, weight decay); needs min > 0. */
  scale: z.enum(["linear", "log"]).default("linear"),
  /** Grid search: points from min to max inclusive. */
  steps: z.number().int().min(2).max(MAX_GRID_STEPS).default(3),
});
const choiceSchema = z.object({
  type: z.literal("choice"),
  values: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1, "give at least one value"),
});
export const dimensionSchema = z.discriminatedUnion("type", [rangeSchema, choiceSchema]);
export type Dimension = z.output<typeof dimensionSchema>;
export type RangeDimension = z.output<typeof rangeSchema>;
export type ChoiceDimension = z.output<typeof choiceSchema>;

export const ashaSchema = z.object({
  type: z.literal("asha"),
  /** The first rung, in epochs: no trial is stopped before it. */
  minResource: z.number().int().min(1).max(100).default(1),
  /** eta: rungs at minResource * eta^k epochs; the top 1/eta of the trials at a rung go on. */
  reductionFactor: z.number().int().min(2).max(10).default(3),
});
export type AshaConfig = z.output<typeof ashaSchema>;

export const tpeSchema = z.object({
  /** Random trials before the Parzen estimators take over. */
  startupTrials: z.number().int().min(1).max(50).default(5),
  /** Fraction of the observed trials that form the "good" density l(x). */
  gamma: z.number().gt(0).lt(1).default(0.25),
  /** Candidates drawn from l(x) per proposal; the best l/g wins. */
  candidates: z.number().int().min(1).max(1000).default(24),
});

/** Config fields a sweep may search over: every train-config field but the name. */
const CONFIG_FIELDS = Object.keys(trainConfigSchema.shape).filter((k) => k !== "name");

interface FieldInfo {
  kind: "number" | "enum" | "boolean" | "string";
  integer: boolean;
}
/** The zod type of a train-config field, defaults unwrapped. */
export function configField(key: string): FieldInfo | undefined {
  const shape = trainConfigSchema.shape as Record<string, z.ZodType>;
  if (!(key in shape) || key === "name") return undefined;
  let t = shape[key] as unknown as { def: { type: string; innerType?: unknown }; isInt?: boolean | null };
  while (t.def.type === "default" || t.def.type === "optional") t = t.def.innerType as typeof t;
  const type = t.def.type;
  return { kind: type === "number" ? "number" : type === "enum" ? "enum" : type === "boolean" ? "boolean" : "string", integer: Boolean(t.isInt) };
}

const baseDefinition = z.object({
  name: z.string().trim().min(1, "name is required").max(200, "name is at most 200 characters"),
  method: z.enum(SWEEP_METHODS).default("random"),
  objective: z.enum(SWEEP_OBJECTIVES).default("val_accuracy"),
  trialBudget: z
    .number()
    .int("trialBudget must be a whole number")
    .min(1, "trialBudget must be at least 1")
    .max(MAX_TRIAL_BUDGET, `trialBudget is at most ${MAX_TRIAL_BUDGET}`),
  maxConcurrent: z.number().int().min(1, "maxConcurrent must be at least 1").max(MAX_CONCURRENT, `maxConcurrent is at most ${MAX_CONCURRENT}`).default(2),
  seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
  /** Parameters searched: train-config field -> range or choices. */
  space: z.record(z.string(), dimensionSchema),
  /** Fixed values for the rest of the config (the train-config defaults fill what is left). */
  base: z.record(z.string(), z.unknown()).default({}),
  earlyTermination: ashaSchema.nullable().default(null),
  tpe: tpeSchema.prefault({}),
});

/** A sweep as requested. Every check names the field; a definition that passes proposes only
 * trials whose config passes trainConfigSchema. */
export const sweepDefinitionSchema = baseDefinition.superRefine((d, ctx) => {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
  const keys = Object.keys(d.space);
  if (keys.length === 0) issue(["space"], "the search space is empty: give at least one parameter as a range or choices");
  for (const key of Object.keys(d.base)) {
    if (key !== "name" && !configField(key)) issue(["base", key], `unknown config field "${key}"`);
    if (key in d.space) issue(["base", key], `"${key}" is both fixed and searched; keep one`);
  }
  const base = baseConfigInput(d);
  const baseCheck = trainConfigSchema.safeParse({ ...base, name: d.name });
  if (!baseCheck.success) {
    for (const i of baseCheck.error.issues) issue(["base", ...(i.path as (string | number)[])], i.message);
    return;
  }
  for (const key of keys) {
    const dim = d.space[key];
    const field = configField(key);
    if (!field) {
      issue(["space", key], `unknown config field "${key}"${key === "name" ? " (the name is set per trial)" : ""}`);
      continue;
    }
    const check = (value: unknown, path: (string | number)[]) => {
      const r = trainConfigSchema.safeParse({ ...base, name: d.name, [key]: value });
      const bad = r.success ? undefined : r.error.issues.find((i) => i.path[0] === key);
      if (bad) issue(["space", key, ...path], `${key} = ${JSON.stringify(value)}: ${bad.message}`);
      return !bad;
    };
    if (dim.type === "range") {
      if (field.kind !== "number") {
        issue(["space", key], `${key} is not a numeric field; search it with choices`);
        continue;
      }
      if (!(dim.min < dim.max)) {
        issue(["space", key, "max"], `${key}: the range is empty or inverted (min ${dim.min} must be below max ${dim.max}); for one value use base`);
        continue;
      }
      if (dim.scale === "log" && dim.min <= 0) {
        issue(["space", key, "min"], `${key}: a log range must be above zero (min is ${dim.min})`);
        continue;
      }
      check(dim.min, ["min"]);
      check(dim.max, ["max"]);
    } else {
      for (const [i, v] of dim.values.entries()) check(v, ["values", i]);
      if (new Set(dim.values.map((v) => JSON.stringify(v))).size !== dim.values.length) issue(["space", key, "values"], `${key}: a value is listed twice`);
    }
  }
  if (d.method === "grid" && keys.length > 0) {
    const size = gridSize(d.space);
    if (d.trialBudget > size) issue(["trialBudget"], `the grid has ${size} point(s); trialBudget ${d.trialBudget} would repeat them`);
  }
  if (d.earlyTermination) {
    const epochs = Number(base.epochs ?? trainConfigSchema.shape.epochs.parse(undefined));
    if (!("epochs" in d.space) && d.earlyTermination.minResource >= epochs)
      issue(["earlyTermination", "minResource"], `minResource (${d.earlyTermination.minResource}) must be below the trials' epochs (${epochs}), or nothing is ever stopped`);
  }
});

export type SweepDefinitionInput = z.input<typeof sweepDefinitionSchema>;
export type SweepDefinition = z.output<typeof sweepDefinitionSchema>;

/** The base config as given (train-config defaults are applied when a trial is parsed). */
function baseConfigInput(d: { base: Record<string, unknown> }): Record<string, unknown> {
  const { name: _name, ...rest } = d.base;
  return rest;
}

/** Values a parameter takes in a grid: ranges at `steps` points (geometric for log), whole numbers
 * rounded and repeated points dropped. */
export function gridValues(dim: Dimension, integer: boolean): (string | number | boolean)[] {
  if (dim.type === "choice") return dim.values;
  const out: number[] = [];
  for (let i = 0; i < dim.steps; i++) {
    const t = i / (dim.steps - 1);
    let v = dim.scale === "log" ? Math.exp(Math.log(dim.min) + t * (Math.log(dim.max) - Math.log(dim.min))) : dim.min + t * (dim.max - dim.min);
    v = integer ? Math.round(v) : Number(v.toPrecision(12));
    if (!out.includes(v)) out.push(v);
  }
  return out;
}

export function gridSize(space: Record<string, Dimension>): number {
  return Object.entries(space).reduce((n, [key, dim]) => n * gridValues(dim, configField(key)?.integer ?? false).length, 1);
}

/** A trial's parameter values (one per searched field). */
export type TrialParams = Record<string, string | number | boolean>;

/** The full config of trial `trialNumber`: base, then the proposed values, named after the sweep. */
export function trialConfig(definition: SweepDefinition, params: TrialParams, trialNumber: number): TrainConfig {
  return trainConfigSchema.parse({ ...baseConfigInput(definition), ...params, name: `${definition.name} #${trialNumber}` });
}

export { CONFIG_FIELDS };
