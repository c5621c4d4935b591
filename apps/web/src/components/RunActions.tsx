"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { errorCode, useAdminGate } from "~/jobs/admin";
import { useTRPC } from "~/trpc/react";

interface ActionRun {
  id: string;
  name: string;
  status: string;
  cancelRequested: boolean;
  /** "imported" runs were not trained here: nothing to clone or retry. */
  kind?: string;
}

const ACTIVE = ["QUEUED", "RUNNING"];
const RETRYABLE = ["FAILED", "CANCELLED"];

/** Every cached runs.* query (list, byId, facets) refetches after a change. */
function useInvalidateRuns() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: trpc.runs.pathKey() });
}

/**
 * Cancel for a QUEUED or RUNNING run. A queued run is cancelled at once; a running one only asks the
 * worker to stop after its current batch, so the button says "Cancelling…" from the moment it is
 * clicked until the run's status changes (the server keeps the request as `cancelRequested`, so a
 * reload does not forget it either).
 */
export function CancelButton({ run, compact }: { run: ActionRun; compact?: boolean }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateRuns();
  const gate = useAdminGate();
  const cancel = useMutation(
    trpc.runs.cancel.mutationOptions({
      onSettled: () => invalidate(),
      onError: (error) => {
        if (errorCode(error) === "UNAUTHORIZED") gate.unauthorized(error.message, () => cancel.mutate({ id: run.id }));
      },
    }),
  );
  if (!ACTIVE.includes(run.status)) return null;
  const requested = run.status === "RUNNING" && (run.cancelRequested || cancel.data?.cancelRequested === true);
  const busy = cancel.isPending || requested;
  return (
    <span className="action">
      <button
        type="button"
        className={`btn${compact ? " small" : ""}`}
        disabled={busy}
        data-testid="cancel-run"
        aria-label={`Cancel ${run.name}`}
        title={requested ? "The worker stops after its current batch" : undefined}
        onClick={() => gate.guard(() => cancel.mutate({ id: run.id }))}
      >
        {busy ? "Cancelling…" : "Cancel"}
      </button>
      {cancel.error && errorCode(cancel.error) !== "UNAUTHORIZED" && (
        <span className="field-error" role="alert">
          {cancel.error.message}
        </span>
      )}
      {gate.prompt}
    </span>
  );
}

/** The run page's actions: Clone (any run), Cancel (queued/running), Retry (failed/cancelled),
 * Delete (finished, after a confirmation). */
export function RunActions({ run }: { run: ActionRun }) {
  const trpc = useTRPC();
  const router = useRouter();
  const invalidate = useInvalidateRuns();
  const gate = useAdminGate();
  const [confirmDelete, setConfirmDelete] = useState(false);

  const retry = useMutation(
    trpc.runs.retry.mutationOptions({
      onSuccess: async (created) => {
        await invalidate();
        router.push(`/runs/${created.id}`);
      },
      onError: (error) => {
        if (errorCode(error) === "UNAUTHORIZED") gate.unauthorized(error.message, () => retry.mutate({ id: run.id }));
      },
    }),
  );
  const remove = useMutation(
    trpc.runs.delete.mutationOptions({
      onSuccess: async () => {
        await invalidate();
        router.push("/");
      },
      onError: (error) => {
        if (errorCode(error) === "UNAUTHORIZED") gate.unauthorized(error.message, () => remove.mutate({ id: run.id }));
      },
    }),
  );
  const error = [retry.error, remove.error].find((e) => e && errorCode(e) !== "UNAUTHORIZED");
  const finished = !ACTIVE.includes(run.status);

  return (
    <div className="run-actions" data-testid="run-actions">
      <div className="row">
        {run.kind !== "imported" && (
          <Link className="btn" href={`/runs/new?from=${encodeURIComponent(run.id)}`} data-testid="clone-run">
            Clone
          </Link>
        )}
        <CancelButton run={run} />
        {RETRYABLE.includes(run.status) && run.kind !== "imported" && (
          <button type="button" className="btn" data-testid="retry-run" disabled={retry.isPending} onClick={() => gate.guard(() => retry.mutate({ id: run.id }))}>
            {retry.isPending ? "Retrying…" : "Retry"}
          </button>
        )}
        {finished && !confirmDelete && (
          <button type="button" className="btn danger" data-testid="delete-run" onClick={() => setConfirmDelete(true)}>
            Delete
          </button>
        )}
      </div>
      {finished && confirmDelete && (
        // biome-ignore lint/a11y/useSemanticElements: an inline confirmation, not a modal dialog
        <div className="confirm" role="group" aria-label="Confirm delete" data-testid="confirm-delete">
          <span>Delete this run, its metrics and its exported model? This cannot be undone.</span>
          <button
            type="button"
            className="btn danger"
            disabled={remove.isPending}
            onClick={() => gate.guard(() => remove.mutate({ id: run.id }))}
          >
            {remove.isPending ? "Deleting…" : "Delete run"}
          </button>
          <button type="button" className="btn" onClick={() => setConfirmDelete(false)}>
            Keep it
          </button>
        </div>
      )}
      {error && (
        <div className="field-error" role="alert">
          {error.message}
        </div>
      )}
      {gate.prompt}
    </div>
  );
}
