"use client";

import { ARCHITECTURE_NAMES } from "@fmnist/model/architecture-names";
import { DATASETS } from "@fmnist/model/train-config";
import { CONFIG_FIELDS, MAX_TRIAL_BUDGET, SWEEP_METHODS, SWEEP_OBJECTIVES, sweepDefinitionSchema } from "@fmnist/sweep";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { type FormEvent, useState } from "react";
import { errorCode, useAdminGate } from "~/jobs/admin";
import { useTRPC } from "~/trpc/react";

interface SpaceRow {
  key: number;
  field: string;
  type: "range" | "choice";
  min: string;
  max: string;
  scale: "linear" | "log";
  steps: string;
  values: string;
}

interface Values {
  name: string;
  method: (typeof SWEEP_METHODS)[number];
  objective: (typeof SWEEP_OBJECTIVES)[number];
  trialBudget: string;
  maxConcurrent: string;
  seed: string;
  architecture: string;
  epochs: string;
  dataset: string;
  maxTrainImages: string;
  asha: boolean;
  minResource: string;
  reductionFactor: string;
  space: SpaceRow[];
}

const initial = (): Values => ({
  name: "",
  method: "random",
  objective: "val_accuracy",
  trialBudget: "12",
  maxConcurrent: "2",
  seed: "0",
  architecture: "mlp",
  epochs: "9",
  dataset: "fixture-subset",
  maxTrainImages: "0",
  asha: true,
  minResource: "1",
  reductionFactor: "3",
  space: [
    { key: 1, field: "learningRate", type: "range", min: "0.0001", max: "0.01", scale: "log", steps: "3", values: "" },
    { key: 2, field: "dropout", type: "range", min: "0.1", max: "0.5", scale: "linear", steps: "3", values: "" },
  ],
});

/** "0.1" -> 0.1, "true" -> true, "adam" -> "adam": choices typed as a comma-separated list. */
function choiceValue(s: string): string | number | boolean {
  const t = s.trim();
  if (t === "true" || t === "false") return t === "true";
  return t !== "" && Number.isFinite(Number(t)) ? Number(t) : t;
}
const toNumber = (s: string) => (s.trim() === "" ? Number.NaN : Number(s));

/** The form as the sweep definition the API takes (validated by the same schema before sending). */
export function definitionFrom(v: Values) {
  return {
    name: v.name,
    method: v.method,
    objective: v.objective,
    trialBudget: toNumber(v.trialBudget),
    maxConcurrent: toNumber(v.maxConcurrent),
    seed: toNumber(v.seed),
    base: { architecture: v.architecture, epochs: toNumber(v.epochs), dataset: v.dataset, maxTrainImages: toNumber(v.maxTrainImages) },
    space: Object.fromEntries(
      v.space.map((r) => [
        r.field,
        r.type === "range"
          ? { type: "range", min: toNumber(r.min), max: toNumber(r.max), scale: r.scale, steps: toNumber(r.steps) }
          : { type: "choice", values: r.values.split(",").filter((x) => x.trim() !== "").map(choiceValue) },
      ]),
    ),
    earlyTermination: v.asha ? { type: "asha", minResource: toNumber(v.minResource), reductionFactor: toNumber(v.reductionFactor) } : null,
  };
}

type Errors = Record<string, string>;

export function NewSweepForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const gate = useAdminGate();
  const [v, setV] = useState<Values>(initial);
  const [errors, setErrors] = useState<Errors>({});
  const create = useMutation(
    trpc.sweeps.create.mutationOptions({
      onSuccess: async (s) => {
        await queryClient.invalidateQueries({ queryKey: trpc.sweeps.pathKey() });
        router.push(`/sweeps/${s.id}`);
      },
      onError: (error) => {
        if (errorCode(error) === "UNAUTHORIZED") gate.unauthorized(error.message, submitChecked);
      },
    }),
  );
  const set = <K extends keyof Values>(k: K, value: Values[K]) => setV((old) => ({ ...old, [k]: value }));
  const setRow = (key: number, patch: Partial<SpaceRow>) => setV((old) => ({ ...old, space: old.space.map((r) => (r.key === key ? { ...r, ...patch } : r)) }));

  function check() {
    const input = definitionFrom(v);
    const dupes = v.space.map((r) => r.field).filter((f, i, a) => a.indexOf(f) !== i);
    const parsed = sweepDefinitionSchema.safeParse(input);
    const found: Errors = {};
    for (const f of dupes) found[`space.${f}`] = `${f} is searched twice; keep one row`;
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const path = issue.path.map(String).join(".");
        found[path] ??= issue.message;
      }
    }
    setErrors(found);
    return Object.keys(found).length === 0 && parsed.success ? parsed.data : null;
  }
  function submitChecked() {
    const definition = check();
    if (definition) create.mutate(definition);
  }
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    // Nothing is sent while the schema finds an error: the same schema the API applies.
    if (check()) gate.guard(submitChecked);
  };
  // An error at `path` or below it; `exact` for the space as a whole (its rows show their own).
  const err = (path: string, exact = false) => {
    const m = Object.entries(errors).find(([k]) => k === path || (!exact && k.startsWith(`${path}.`)))?.[1];
    return m ? (
      <div className="field-error" role="alert" data-testid={`error-${path}`}>
        {m}
      </div>
    ) : null;
  };

  return (
    <form onSubmit={onSubmit} noValidate data-testid="sweep-form">
      <div className="page-head">
        <div>
          <div className="small">
            <Link href="/sweeps">← Sweeps</Link>
          </div>
          <h1>New sweep</h1>
        </div>
      </div>
      <div className="panel">
        <h2>Search</h2>
        <div className="row">
          <label>
            Name <input name="name" value={v.name} onChange={(e) => set("name", e.target.value)} />
          </label>
          <label>
            Method{" "}
            <select name="method" value={v.method} onChange={(e) => set("method", e.target.value as Values["method"])}>
              {SWEEP_METHODS.map((m) => (
                <option key={m} value={m}>
                  {m === "tpe" ? "tpe (Bayesian)" : m}
                </option>
              ))}
            </select>
          </label>
          <label>
            Objective{" "}
            <select name="objective" value={v.objective} onChange={(e) => set("objective", e.target.value as Values["objective"])}>
              {SWEEP_OBJECTIVES.map((o) => (
                <option key={o} value={o}>
                  {o === "val_accuracy" ? "maximise validation accuracy" : "minimise validation loss"}
                </option>
              ))}
            </select>
          </label>
          <label>
            Trials (≤ {MAX_TRIAL_BUDGET}) <input name="trialBudget" inputMode="numeric" size={5} value={v.trialBudget} onChange={(e) => set("trialBudget", e.target.value)} />
          </label>
          <label>
            At once <input name="maxConcurrent" inputMode="numeric" size={4} value={v.maxConcurrent} onChange={(e) => set("maxConcurrent", e.target.value)} />
          </label>
          <label>
            Seed <input name="seed" inputMode="numeric" size={6} value={v.seed} onChange={(e) => set("seed", e.target.value)} />
          </label>
        </div>
        {err("name")}
        {err("trialBudget")}
        {err("maxConcurrent")}
        {err("seed")}
      </div>

      <div className="panel">
        <h2>Search space</h2>
        {err("space", true)}
        <table className="data" data-testid="space-table">
          <thead>
            <tr>
              <th>Parameter</th>
              <th>Kind</th>
              <th>Values</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {v.space.map((r, i) => (
              <tr key={r.key} data-testid={`space-row-${i}`}>
                <td>
                  <select aria-label="parameter" value={r.field} onChange={(e) => setRow(r.key, { field: e.target.value })}>
                    {CONFIG_FIELDS.map((f) => (
                      <option key={f} value={f}>
                        {f}
                      </option>
                    ))}
                  </select>
                </td>
                <td>
                  <select aria-label="kind" value={r.type} onChange={(e) => setRow(r.key, { type: e.target.value as SpaceRow["type"] })}>
                    <option value="range">range</option>
                    <option value="choice">choices</option>
                  </select>
                </td>
                <td>
                  {r.type === "range" ? (
                    <span className="row">
                      <input aria-label="min" size={8} value={r.min} onChange={(e) => setRow(r.key, { min: e.target.value })} />
                      to
                      <input aria-label="max" size={8} value={r.max} onChange={(e) => setRow(r.key, { max: e.target.value })} />
                      <select aria-label="scale" value={r.scale} onChange={(e) => setRow(r.key, { scale: e.target.value as SpaceRow["scale"] })}>
                        <option value="linear">linear</option>
                        <option value="log">log</option>
                      </select>
                      {v.method === "grid" && (
                        <label className="small">
                          points <input aria-label="steps" size={3} value={r.steps} onChange={(e) => setRow(r.key, { steps: e.target.value })} />
                        </label>
                      )}
                    </span>
                  ) : (
                    <input aria-label="choices" placeholder="adam, sgd" size={30} value={r.values} onChange={(e) => setRow(r.key, { values: e.target.value })} />
                  )}
                  {err(`space.${r.field}`)}
                </td>
                <td>
                  <button type="button" className="btn small" onClick={() => set("space", v.space.filter((x) => x.key !== r.key))}>
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <button
          type="button"
          className="btn"
          data-testid="add-parameter"
          onClick={() =>
            set("space", [...v.space, { key: Math.max(0, ...v.space.map((r) => r.key)) + 1, field: "batchSize", type: "choice", min: "", max: "", scale: "linear", steps: "3", values: "32, 64, 128" }])
          }
        >
          Add parameter
        </button>
      </div>

      <div className="panel">
        <h2>Fixed settings and early termination</h2>
        <div className="row">
          <label>
            Architecture{" "}
            <select name="architecture" value={v.architecture} onChange={(e) => set("architecture", e.target.value)}>
              {ARCHITECTURE_NAMES.map((a) => (
                <option key={a}>{a}</option>
              ))}
            </select>
          </label>
          <label>
            Epochs <input name="epochs" size={4} value={v.epochs} onChange={(e) => set("epochs", e.target.value)} />
          </label>
          <label>
            Dataset{" "}
            <select name="dataset" value={v.dataset} onChange={(e) => set("dataset", e.target.value)}>
              {DATASETS.map((d) => (
                <option key={d}>{d}</option>
              ))}
            </select>
          </label>
          <label>
            Max train images (0 = all) <input name="maxTrainImages" size={6} value={v.maxTrainImages} onChange={(e) => set("maxTrainImages", e.target.value)} />
          </label>
        </div>
        {err("base")}
        <div className="row">
          <label className="check">
            <input type="checkbox" name="asha" checked={v.asha} onChange={(e) => set("asha", e.target.checked)} /> Stop bad trials early (ASHA)
          </label>
          {v.asha && (
            <>
              <label>
                first rung (epochs) <input name="minResource" size={3} value={v.minResource} onChange={(e) => set("minResource", e.target.value)} />
              </label>
              <label>
                reduction factor <input name="reductionFactor" size={3} value={v.reductionFactor} onChange={(e) => set("reductionFactor", e.target.value)} />
              </label>
            </>
          )}
        </div>
        {err("earlyTermination")}
      </div>

      {Object.keys(errors).length > 0 && (
        <div className="error-box" data-testid="form-errors">
          {Object.entries(errors).map(([k, m]) => (
            <div key={k}>
              {k ? `${k}: ` : ""}
              {m}
            </div>
          ))}
        </div>
      )}
      {create.error && errorCode(create.error) !== "UNAUTHORIZED" && (
        <div className="error-box" role="alert" data-testid="server-error">
          {create.error.message}
        </div>
      )}
      {gate.prompt}
      <div className="row">
        <button type="submit" className="btn primary" disabled={create.isPending} data-testid="start-sweep">
          {create.isPending ? "Starting…" : "Start sweep"}
        </button>
      </div>
    </form>
  );
}
