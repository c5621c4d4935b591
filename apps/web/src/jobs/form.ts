// The new-run form's state and checks, without React. Inputs hold text; the form validates with the
// very schema the API and the worker use (trainConfigSchema), from the tfjs-free subpath.
import { RECIPES, type RecipeName } from "@fmnist/model/recipes";
import { copyName, requestedTrainConfig, type TrainConfig, trainConfigSchema } from "@fmnist/model/train-config";
import type { z } from "zod";

export type FieldName = keyof TrainConfig;
/** What the inputs hold. */
export type FormValues = Record<FieldName, string>;
export type FieldErrors = Partial<Record<FieldName, string[]>>;

export const FIELD_NAMES = Object.keys(trainConfigSchema.shape) as FieldName[];
export const NUMBER_FIELDS = [
  "epochs",
  "batchSize",
  "learningRate",
  "validationSplit",
  "patience",
  "dropout",
  "seed",
  "maxTrainImages",
  "weightDecay",
  "momentum",
  "warmupEpochs",
  "stepEpochs",
  "stepGamma",
  "labelSmoothing",
  "augmentCropPadding",
  "augmentErasing",
  "augmentPhoto",
  "augmentBackground",
  "augmentAffine",
  "augmentPair",
  "averageLastEpochs",
] as const;
/** Check boxes: the inputs hold "true" / "false". */
export const BOOLEAN_FIELDS = ["augmentFlip"] as const;
const NAME_MAX = trainConfigSchema.shape.name.maxLength ?? 200;

/** The schema's defaults (the reference recipe). */
export const DEFAULT_CONFIG: TrainConfig = trainConfigSchema.parse({ name: "run" });

function toValues(config: TrainConfig): FormValues {
  return Object.fromEntries(FIELD_NAMES.map((k) => [k, String(config[k])])) as FormValues;
}

/** A name that says what the run is, used until the person types their own. */
export function autoName(values: FormValues): string {
  const dataset = values.dataset === "fixture-subset" ? " · subset" : "";
  return `${values.architecture} · ${values.epochs.trim()} epochs · lr ${values.learningRate.trim()}${dataset}`.slice(0, NAME_MAX);
}

/** The form filled from a named recipe: every field explicit, the recipe's settings over the defaults. */
export function recipeValues(recipe: RecipeName): FormValues {
  const values = toValues(trainConfigSchema.parse({ name: "run", ...RECIPES[recipe].config }));
  return { ...values, name: autoName(values) };
}

export function defaultValues(): FormValues {
  const values = toValues(DEFAULT_CONFIG);
  return { ...values, name: autoName(values) };
}

export { copyName };

/** The form prefilled from a stored run's config (Clone). Each field the schema accepts is kept;
 * a value an older trainer stored that the schema refuses falls back to the default. */
export function cloneValues(storedConfig: unknown, sourceName: string, resolved: { datasetSubset?: string | null } = {}): FormValues {
  const requested = requestedTrainConfig(storedConfig, resolved);
  const config: Record<string, unknown> = { ...DEFAULT_CONFIG };
  for (const key of FIELD_NAMES) {
    const field = trainConfigSchema.shape[key] as z.ZodType;
    if (requested[key] !== undefined && field.safeParse(requested[key]).success) config[key] = requested[key];
  }
  return { ...toValues(config as TrainConfig), name: copyName(sourceName) };
}

/** Text to the schema's input: a number where the text is one, else the text itself (the schema
 * then refuses it with "enter a number" rather than guessing a value). */
export function toInput(values: FormValues): Record<string, unknown> {
  const input: Record<string, unknown> = { ...values };
  for (const key of NUMBER_FIELDS) {
    const text = values[key].trim();
    const n = Number(text);
    input[key] = text !== "" && Number.isFinite(n) ? n : text;
  }
  for (const key of BOOLEAN_FIELDS) input[key] = values[key] === "true";
  return input;
}

export type Validation = { ok: true; config: TrainConfig } | { ok: false; fieldErrors: FieldErrors; formErrors: string[] };

/** Checks the form with trainConfigSchema; only the message for text in a number field is ours. */
export function validate(values: FormValues): Validation {
  const result = trainConfigSchema.safeParse(toInput(values), {
    error: (issue) => (issue.code === "invalid_type" && issue.expected === "number" ? "enter a number" : undefined),
  });
  if (result.success) return { ok: true, config: result.data };
  const fieldErrors: FieldErrors = {};
  const formErrors: string[] = [];
  for (const issue of result.error.issues) {
    const key = issue.path[0];
    if (typeof key === "string" && (FIELD_NAMES as string[]).includes(key)) {
      const field = key as FieldName;
      fieldErrors[field] = [...(fieldErrors[field] ?? []), issue.message];
    } else formErrors.push(issue.message);
  }
  return { ok: false, fieldErrors, formErrors };
}

/** The API's zod field errors (data.zodError of a BAD_REQUEST) mapped back onto the form. */
export function serverFieldErrors(zodError: { formErrors: string[]; fieldErrors: Record<string, string[] | undefined> } | null | undefined): {
  fieldErrors: FieldErrors;
  formErrors: string[];
} {
  const fieldErrors: FieldErrors = {};
  const formErrors = [...(zodError?.formErrors ?? [])];
  for (const [key, messages] of Object.entries(zodError?.fieldErrors ?? {})) {
    if (!messages?.length) continue;
    if ((FIELD_NAMES as string[]).includes(key)) fieldErrors[key as FieldName] = messages;
    else formErrors.push(...messages.map((m) => `${key}: ${m}`));
  }
  return { fieldErrors, formErrors };
}
