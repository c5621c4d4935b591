"use client";

import type { RouterOutputs } from "@fmnist/api";
import { skipToken, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useState } from "react";
import { errorCode, useAdminGate } from "~/jobs/admin";
import { ago, bytes, dateTime, pct } from "~/lib/format";
import { useTRPC } from "~/trpc/react";
import "./models.css";

type Model = RouterOutputs["registry"]["byName"];
const ALIASES = ["production", "staging"] as const;
const DEFAULT_NAME = "fashion-classifier";

/** What every registry change shares: refetch registry.* afterwards (the classify picker too), ask
 * for the admin token on a 401 and retry, and a readable error otherwise. */
function useRegistryChange() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const gate = useAdminGate();
  return {
    gate,
    invalidate: () => queryClient.invalidateQueries({ queryKey: trpc.registry.pathKey() }),
    onError: (error: { message: string }, retry: () => void) => {
      if (errorCode(error) === "UNAUTHORIZED") gate.unauthorized(error.message, retry);
    },
    message: (label: string, error: { message: string } | null) => (error && errorCode(error) !== "UNAUTHORIZED" ? `${label}: ${error.message}` : null),
  };
}

export function ModelsView() {
  const trpc = useTRPC();
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const list = useQuery(trpc.registry.list.queryOptions());
  const selected = params.get("name") ?? list.data?.[0]?.name ?? null;
  const model = useQuery(trpc.registry.byName.queryOptions(selected ? { name: selected } : skipToken));

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Models</h1>
          <div className="subtitle">
            Registered models: numbered versions of exported runs, and aliases (<code>@production</code>, <code>@staging</code>) that the classify page and{" "}
            <a href="/api/v1/openapi.json">the prediction API</a> serve.
          </div>
        </div>
      </div>

      <RegisterPanel names={list.data?.map((m) => m.name) ?? []} onRegistered={(name) => router.replace(`${pathname}?name=${encodeURIComponent(name)}`)} />

      {list.error && <div className="error-box">Could not list the models: {list.error.message}</div>}
      {list.data && list.data.length === 0 && (
        <div className="notice" data-testid="no-registered-models">
          No registered models yet. Register a succeeded run above.
        </div>
      )}
      {list.data && list.data.length > 0 && (
        <div className="models-layout">
          <nav className="panel models-list" aria-label="Registered models">
            {list.data.map((m) => (
              <Link key={m.name} href={`${pathname}?name=${encodeURIComponent(m.name)}`} className={m.name === selected ? "active" : undefined} data-testid="model-link">
                <strong>{m.name}</strong>
                <span className="small muted">
                  {m.versions.length} version{m.versions.length === 1 ? "" : "s"}
                  {m.aliases.map((a) => ` · @${a.alias} v${a.version}`).join("")}
                </span>
              </Link>
            ))}
          </nav>
          <div>
            {model.error && <div className="error-box">{model.error.message}</div>}
            {model.data && <ModelDetail model={model.data} />}
          </div>
        </div>
      )}
    </>
  );
}

function RegisterPanel({ names, onRegistered }: { names: string[]; onRegistered: (name: string) => void }) {
  const trpc = useTRPC();
  const runs = useQuery(trpc.runs.models.queryOptions());
  const [runId, setRunId] = useState("");
  const [name, setName] = useState(DEFAULT_NAME);
  const change = useRegistryChange();
  const register = useMutation(
    trpc.registry.register.mutationOptions({
      onSettled: change.invalidate,
      onSuccess: (v) => onRegistered(v.name),
      onError: (e, input) => change.onError(e, () => register.mutate(input)),
    }),
  );
  const registerError = change.message("Register", register.error);
  const succeeded = (runs.data ?? []).filter((r) => r.status === "SUCCEEDED");
  const chosen = runId || succeeded[0]?.id || "";
  return (
    <section className="panel" data-testid="register-panel">
      <div className="row">
        <strong>Register</strong>
        <select aria-label="Run to register" data-testid="register-run" value={chosen} onChange={(e) => setRunId(e.target.value)}>
          {succeeded.map((r) => (
            <option key={r.id} value={r.id}>
              {r.name} · {r.architecture} · {pct(r.testAccuracy, 2)}
            </option>
          ))}
        </select>
        <span className="muted small">as a new version of</span>
        <input aria-label="Model name" data-testid="register-name" list="model-names" value={name} onChange={(e) => setName(e.target.value)} />
        <datalist id="model-names">
          {names.map((n) => (
            <option key={n} value={n} />
          ))}
        </datalist>
        <button
          type="button"
          className="btn primary"
          data-testid="register-submit"
          disabled={!chosen || !name.trim() || register.isPending}
          onClick={() => change.gate.guard(() => register.mutate({ runId: chosen, name: name.trim() }))}
        >
          {register.isPending ? "Registering…" : "Register"}
        </button>
      </div>
      {succeeded.length === 0 && runs.data && <p className="muted small">No succeeded run with an exported model yet.</p>}
      {registerError && (
        <div className="error-box small" role="alert" data-testid="registry-error">
          {registerError}
        </div>
      )}
      {change.gate.prompt}
    </section>
  );
}

function ModelDetail({ model }: { model: Model }) {
  const trpc = useTRPC();
  const change = useRegistryChange();
  const setAlias = useMutation(
    trpc.registry.setAlias.mutationOptions({ onSettled: change.invalidate, onError: (e, input) => change.onError(e, () => setAlias.mutate(input)) }),
  );
  const removeAlias = useMutation(
    trpc.registry.removeAlias.mutationOptions({ onSettled: change.invalidate, onError: (e, input) => change.onError(e, () => removeAlias.mutate(input)) }),
  );
  const deleteVersion = useMutation(
    trpc.registry.deleteVersion.mutationOptions({ onSettled: change.invalidate, onError: (e, input) => change.onError(e, () => deleteVersion.mutate(input)) }),
  );
  const busy = setAlias.isPending || removeAlias.isPending || deleteVersion.isPending;
  const errors = [change.message("Move alias", setAlias.error), change.message("Remove alias", removeAlias.error), change.message("Delete version", deleteVersion.error)].filter(
    (e): e is string => e !== null,
  );
  const aliasAt = (alias: string) => model.aliases.find((a) => a.alias === alias)?.version ?? null;

  return (
    <section className="panel" data-testid="model-detail">
      <div className="panel-head">
        <h2>{model.name}</h2>
        <div className="row small">
          {model.aliases.length === 0 && <span className="muted">no aliases</span>}
          {model.aliases.map((a) => (
            <span key={a.alias} className={`alias-badge ${a.alias}`} data-testid={`alias-${a.alias}`}>
              @{a.alias} → v{a.version}
              <button type="button" className="link-button" aria-label={`Remove @${a.alias}`} disabled={busy} onClick={() => change.gate.guard(() => removeAlias.mutate({ name: model.name, alias: a.alias }))}>
                ×
              </button>
            </span>
          ))}
          <code className="small">POST /api/v1/models/{model.name}@production:predict</code>
        </div>
      </div>
      {errors.map((e) => (
        <div key={e} className="error-box small" role="alert" data-testid="registry-error">
          {e}
        </div>
      ))}
      {change.gate.prompt}
      <div className="table-wrap">
        <table className="data" data-testid="versions">
          <thead>
            <tr>
              <th>Version</th>
              <th>Aliases</th>
              <th>Source run</th>
              <th>Test accuracy</th>
              <th>Size</th>
              <th>Registered</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {model.versions.map((v) => (
              <tr key={v.id} data-testid={`version-${v.version}`}>
                <td>
                  <strong>v{v.version}</strong>
                </td>
                <td>
                  {v.aliases.map((a) => (
                    <span key={a} className={`alias-badge ${a}`}>
                      @{a}
                    </span>
                  ))}
                </td>
                <td>
                  <Link href={`/runs/${encodeURIComponent(v.run.id)}`}>{v.run.name}</Link> <span className="muted small">{v.run.architecture}</span>
                </td>
                <td>{pct(v.testAccuracy, 2)}</td>
                <td>{bytes(v.sizeBytes)}</td>
                <td title={dateTime(v.createdAt)}>{ago(v.createdAt)}</td>
                <td className="row">
                  {ALIASES.map((alias) =>
                    aliasAt(alias) === v.version ? null : (
                      <button
                        key={alias}
                        type="button"
                        className="btn small"
                        data-testid={`set-${alias}-${v.version}`}
                        disabled={busy}
                        onClick={() => change.gate.guard(() => setAlias.mutate({ name: model.name, alias, version: v.version }))}
                      >
                        {aliasAt(alias) === null ? `Set @${alias}` : `Move @${alias} here`}
                      </button>
                    ),
                  )}
                  <Link className="btn small" href={`/classify?model=${encodeURIComponent(`${model.name}/${v.version}`)}`}>
                    Classify
                  </Link>
                  <button
                    type="button"
                    className="btn small danger"
                    data-testid={`delete-${v.version}`}
                    disabled={busy}
                    onClick={() => {
                      if (window.confirm(`Delete version ${v.version} of ${model.name}? The run and its files stay.`)) change.gate.guard(() => deleteVersion.mutate({ name: model.name, version: v.version }));
                    }}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h3>Alias history</h3>
      {model.history.length === 0 ? (
        <p className="muted small">No alias has been set yet.</p>
      ) : (
        <ul className="alias-history" data-testid="alias-history">
          {model.history.map((e) => (
            <li key={e.id}>
              <span title={dateTime(e.createdAt)}>{ago(e.createdAt)}</span>: <strong>@{e.alias}</strong>{" "}
              {e.fromVersion === null ? `set to v${e.toVersion}` : e.toVersion === null ? `removed (was v${e.fromVersion})` : `moved v${e.fromVersion} → v${e.toVersion}`}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
