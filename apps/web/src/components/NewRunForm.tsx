"use client";

import { ARCHITECTURE_INFO, ARCHITECTURE_NAMES, type ArchitectureName } from "@fmnist/model/architecture-names";
import { RECIPE_NAMES, RECIPES, type RecipeName } from "@fmnist/model/recipes";
import { LR_SCHEDULES } from "@fmnist/model/schedules";
import { BACKEND_PREFERENCES, CHECKPOINT_METRICS, DATASETS, OPTIMIZERS } from "@fmnist/model/train-config";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { type ReactNode, useRef, useState } from "react";
import { errorCode, useAdminGate } from "~/jobs/admin";
import {
  autoName,
  cloneValues,
  defaultValues,
  type FieldErrors,
  type FieldName,
  type FormValues,
  recipeValues,
  serverFieldErrors,
  validate,
} from "~/jobs/form";
import { useTRPC } from "~/trpc/react";

const CHECKPOINT_LABELS: Record<(typeof CHECKPOINT_METRICS)[number], string> = {
  val_accuracy: "best validation accuracy",
  val_loss: "lowest validation loss",
};

const OPTIMIZER_LABELS: Record<(typeof OPTIMIZERS)[number], string> = {
  adam: "Adam",
  adamw: "AdamW (decoupled weight decay)",
  sgd: "SGD, Nesterov momentum",
};

/** "241,546 parameters · 6.5 MFLOPs per image" */
function architectureFacts(name: string): string {
  const info = ARCHITECTURE_INFO[name as ArchitectureName];
  if (!info) return "";
  return `${info.description}. ${info.params.toLocaleString("en-US")} parameters · ${(info.flops / 1e6).toFixed(1)} MFLOPs per image (forward)`;
}

const DATASET_LABELS: Record<(typeof DATASETS)[number], string> = {
  "fashion-mnist": "Fashion-MNIST, full (60k / 10k)",
  "fixture-subset": "Shipped subset (2k / 500)",
};

/** /runs/new, or /runs/new?from=<id> to start from another run's settings (Clone). */
export function NewRun({ from }: { from: string | null }) {
  const trpc = useTRPC();
  const source = useQuery({ ...trpc.runs.byId.queryOptions({ id: from ?? "" }), enabled: from !== null });
  if (from === null) return <RunForm initial={defaultValues()} parent={null} />;
  if (source.error) {
    return (
      <div className="panel empty">
        <h2>Cannot clone that run</h2>
        <p className="muted">{source.error.message}</p>
        <Link href="/runs/new" className="btn">
          Start from the defaults
        </Link>
      </div>
    );
  }
  if (!source.data) return <p className="muted">Loading the run to clone…</p>;
  return <RunForm key={from} initial={cloneValues(source.data.config, source.data.name, source.data)} parent={{ id: source.data.id, name: source.data.name }} />;
}

function RunForm({ initial, parent }: { initial: FormValues; parent: { id: string; name: string } | null }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const gate = useAdminGate();
  const formRef = useRef<HTMLFormElement>(null);
  const [values, setValues] = useState<FormValues>(initial);
  // The name follows the settings until the person types one (a clone keeps its own).
  const [nameTouched, setNameTouched] = useState(parent !== null);
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [formErrors, setFormErrors] = useState<string[]>([]);
  const [submitted, setSubmitted] = useState(false);
  const [recipe, setRecipe] = useState<RecipeName | "">("");

  const create = useMutation(
    trpc.runs.create.mutationOptions({
      onSuccess: async (run) => {
        await queryClient.invalidateQueries({ queryKey: trpc.runs.pathKey() });
        router.push(`/runs/${run.id}`);
      },
      onError: (error) => {
        if (errorCode(error) === "UNAUTHORIZED") {
          gate.unauthorized(error.message, submit);
          return;
        }
        // The server validates with the same schema; its field errors go next to the fields.
        const mapped = serverFieldErrors(error.data?.zodError);
        setFieldErrors(mapped.fieldErrors);
        setFormErrors(mapped.formErrors.length || Object.keys(mapped.fieldErrors).length ? mapped.formErrors : [error.message]);
      },
    }),
  );

  const check = (next: FormValues) => {
    const v = validate(next);
    setFieldErrors(v.ok ? {} : v.fieldErrors);
    setFormErrors(v.ok ? [] : v.formErrors);
    return v;
  };

  const set = (field: FieldName, value: string) => {
    let next = { ...values, [field]: value };
    if (field === "name") setNameTouched(true);
    else if (!nameTouched) next = { ...next, name: autoName(next) };
    setValues(next);
    // After a first submit, errors follow the edits.
    if (submitted) check(next);
  };

  function submit() {
    setSubmitted(true);
    const v = check(values);
    if (!v.ok) {
      const first = Object.keys(v.fieldErrors)[0];
      if (first) formRef.current?.querySelector<HTMLElement>(`[name="${first}"]`)?.focus();
      return;
    }
    gate.guard(() => create.mutate({ ...v.config, parentRunId: parent?.id ?? null }));
  }

  const field = (name: FieldName, label: string, hint: string | null, input: ReactNode) => (
    <div className={`field${fieldErrors[name] ? " invalid" : ""}`} data-testid={`field-${name}`}>
      <label htmlFor={`run-${name}`}>{label}</label>
      {input}
      {fieldErrors[name] ? (
        <p className="field-error" id={`run-${name}-error`} data-testid={`error-${name}`}>
          {fieldErrors[name]?.join("; ")}
        </p>
      ) : (
        hint && <p className="muted small hint">{hint}</p>
      )}
    </div>
  );
  const common = (name: FieldName) => ({
    id: `run-${name}`,
    name,
    "aria-invalid": fieldErrors[name] ? true : undefined,
    "aria-describedby": fieldErrors[name] ? `run-${name}-error` : undefined,
  });
  // Numbers are typed as text: the schema, not the browser, says what is wrong with "abc".
  const text = (name: FieldName, hint: string | null, label: string) =>
    field(name, label, hint, <input {...common(name)} type="text" inputMode="decimal" autoComplete="off" value={values[name]} onChange={(e) => set(name, e.target.value)} />);
  const checkbox = (name: FieldName, label: string, hint: string) =>
    field(
      name,
      label,
      hint,
      <input {...common(name)} type="checkbox" checked={values[name] === "true"} onChange={(e) => set(name, String(e.target.checked))} />,
    );
  const select = (name: FieldName, label: string, options: readonly string[], labels?: Record<string, string>, hint: string | null = null) =>
    field(
      name,
      label,
      hint,
      <select {...common(name)} value={values[name]} onChange={(e) => set(name, e.target.value)}>
        {options.map((o) => (
          <option key={o} value={o}>
            {labels?.[o] ?? o}
          </option>
        ))}
      </select>,
    );

  return (
    <>
      <div className="page-head">
        <div>
          <div className="small">
            <Link href="/">← Experiments</Link>
          </div>
          <h1>New run</h1>
          <div className="subtitle">
            {parent ? (
              <span data-testid="clone-source">
                Settings cloned from <Link href={`/runs/${parent.id}`}>{parent.name}</Link>
              </span>
            ) : (
              "Queued for a worker (pnpm worker) as soon as you submit."
            )}
          </div>
        </div>
      </div>
      <form
        ref={formRef}
        className="panel run-form"
        data-testid="new-run-form"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <div className="form-grid">
          <div className="wide field" data-testid="field-recipe">
            <label htmlFor="run-recipe">Recipe</label>
            <select
              id="run-recipe"
              value={recipe}
              onChange={(e) => {
                const name = e.target.value as RecipeName | "";
                setRecipe(name);
                // A recipe only fills the form: what is queued is every field as shown.
                if (name) {
                  setValues(nameTouched ? { ...recipeValues(name), name: values.name } : recipeValues(name));
                  if (submitted) check(recipeValues(name));
                }
              }}
            >
              <option value="">(none: keep the fields as they are)</option>
              {RECIPE_NAMES.map((r) => (
                <option key={r} value={r}>
                  {RECIPES[r].label}
                </option>
              ))}
            </select>
            <p className="muted small hint" data-testid="recipe-description">
              {recipe ? RECIPES[recipe].description : "A named preset fills every field below; you can still change any of them."}
            </p>
          </div>
          <div className="wide">
            {field(
              "name",
              "Name",
              null,
              <input {...common("name")} type="text" autoComplete="off" value={values.name} onChange={(e) => set("name", e.target.value)} />,
            )}
          </div>
          <div className="wide">{select("architecture", "Architecture", ARCHITECTURE_NAMES, undefined, architectureFacts(values.architecture))}</div>
          {select("dataset", "Dataset", DATASETS, DATASET_LABELS, "train / test images; the subset is for quick runs")}
          {text("maxTrainImages", "0 = all training images", "Max training images")}
          {text("epochs", "1–200; early stopping may end sooner", "Epochs")}
          {text("batchSize", "1–4096", "Batch size")}
          {text("learningRate", "above 0 and at most 1; the peak for one-cycle", "Learning rate")}
          {select("optimizer", "Optimizer", OPTIMIZERS, OPTIMIZER_LABELS)}
          {text("weightDecay", "AdamW / SGD, decoupled; 0 = off", "Weight decay")}
          {text("momentum", "SGD only", "Momentum")}
          {select("lrSchedule", "Learning-rate schedule", LR_SCHEDULES, undefined, "step: × gamma every N epochs; cosine: warm-up then cosine to 0; one-cycle: up to the peak at 30%, then down")}
          {text("warmupEpochs", "cosine: linear warm-up", "Warm-up epochs")}
          {text("stepEpochs", "step: epochs between drops", "Step every (epochs)")}
          {text("stepGamma", "step: factor per drop", "Step gamma")}
          {text("labelSmoothing", "0–0.5; 0 = off", "Label smoothing")}
          {text("augmentCropPadding", "pixels of random shift (padded crop); 0 = off", "Augment: crop padding")}
          {checkbox("augmentFlip", "Augment: horizontal flip", "mirror half of the images")}
          {text("augmentErasing", "probability per image; 0 = off", "Augment: random erasing")}
          {text("augmentPhoto", "probability per image: scale, contrast, left-over lines as real photos; 0 = off", "Augment: real-photo look")}
          {text("augmentBackground", "probability per image: the item on a textured background, as a failed segmentation leaves a photo; 0 = off", "Augment: photo background")}
          {text("augmentAffine", "probability per image: turned up to 15°, scaled and sheared, as items lie askew in photos; 0 = off", "Augment: askew (affine)")}
          {text("augmentPair", "probability per shoe image: a second shoe behind or beside it, as shops photograph pairs; 0 = off", "Augment: shoe pairs")}
          {text("validationSplit", "fraction held out, 0.01–0.5", "Validation split")}
          {text("patience", "epochs without a lower validation loss; 0 = off", "Early-stopping patience")}
          {select("checkpointMetric", "Kept checkpoint", CHECKPOINT_METRICS, CHECKPOINT_LABELS, "the epoch whose weights are evaluated and exported")}
          {text("averageLastEpochs", "export the mean of the last N epochs' weights instead (SWA); 0 = off", "Weight averaging (epochs)")}
          {text("dropout", "0–0.9", "Dropout")}
          {text("seed", "same seed, same run", "Seed")}
          {select("backend", "Backend preference", BACKEND_PREFERENCES, undefined, "auto: CUDA, then TensorFlow, then our native oneDNN addon, then wasm")}
        </div>
        {formErrors.length > 0 && (
          <div className="error-box" role="alert" data-testid="form-error">
            {formErrors.join("\n")}
          </div>
        )}
        {Object.keys(fieldErrors).length > 0 && (
          <p className="field-error" role="alert" data-testid="form-invalid">
            Fix the {Object.keys(fieldErrors).length === 1 ? "field" : `${Object.keys(fieldErrors).length} fields`} marked above.
          </p>
        )}
        {gate.prompt}
        <div className="row form-actions">
          <button type="submit" className="btn primary" disabled={create.isPending} data-testid="submit-run">
            {create.isPending ? "Queueing…" : "Queue run"}
          </button>
          <button
            type="button"
            className="btn"
            onClick={() => {
              setValues(initial);
              setNameTouched(parent !== null);
              setFieldErrors({});
              setFormErrors([]);
              setSubmitted(false);
            }}
          >
            Reset
          </button>
        </div>
      </form>
    </>
  );
}
