"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useAdminGate } from "~/jobs/admin";
import { useTRPC } from "~/trpc/react";
import { UploadError, uploadModel } from "./upload";

/** Import page: a Keras `.keras` / `.h5` file is uploaded, checked on the server and queued; its
 * run page then shows the evaluation live (a worker runs it like a training job). */
export function ImportView({ maxBytes }: { maxBytes: number }) {
  const router = useRouter();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const gate = useAdminGate();
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState("");
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);

  const tooBig = file !== null && file.size > maxBytes;
  const upload = async () => {
    if (!file) return;
    setError(null);
    setProgress(0);
    try {
      const queued = await uploadModel(file, name, setProgress);
      await queryClient.invalidateQueries({ queryKey: trpc.runs.pathKey() });
      router.push(`/runs/${queued.id}`);
    } catch (e) {
      setProgress(null);
      if (e instanceof UploadError && e.status === 401) gate.unauthorized(e.message, () => void upload());
      else setError(e instanceof Error ? e.message : String(e));
    }
  };

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Import a Keras model</h1>
          <div className="subtitle">
            A <code>.keras</code> file (Keras 3, or Keras 2.13+) or a whole-model <code>.h5</code> (Keras 2 or 3): it becomes a run of its own, evaluated on the
            real test set like a trained run, so you can compare it, classify with it and serve it. Same as <code>pnpm import-model FILE</code>.
          </div>
        </div>
      </div>
      <form
        className="panel"
        data-testid="import-form"
        onSubmit={(e) => {
          e.preventDefault();
          gate.guard(() => void upload());
        }}
      >
        <div className="form-grid">
          <div className="field">
            <label htmlFor="import-file">Model file</label>
            <input
              id="import-file"
              type="file"
              accept=".keras,.h5,.hdf5"
              data-testid="import-file"
              onChange={(e) => {
                setFile(e.target.files?.[0] ?? null);
                setError(null);
              }}
            />
            <p className="muted small hint">
              Sequential or functional models of Conv2D, Dense, pooling, BatchNormalization, Dropout, Flatten, Reshape and activation layers, taking 28×28
              images scaled to [0, 1]. At most {(maxBytes / 1024 / 1024).toFixed(0)} MB.
            </p>
            {tooBig && (
              <p className="field-error" role="alert">
                {file.name} is {(file.size / 1024 / 1024).toFixed(1)} MB; the limit is {(maxBytes / 1024 / 1024).toFixed(0)} MB.
              </p>
            )}
          </div>
          <div className="field">
            <label htmlFor="import-name">Run name</label>
            <input id="import-name" data-testid="import-name" value={name} placeholder="the file name and Keras version" onChange={(e) => setName(e.target.value)} />
          </div>
        </div>
        {progress !== null && (
          <div style={{ margin: "12px 0" }} data-testid="upload-progress">
            <div className="muted small">{progress < 1 ? `Uploading… ${Math.round(progress * 100)}%` : "Checking the file…"}</div>
            <div className="progress" role="progressbar" aria-label="Upload progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(progress * 100)}>
              <div style={{ width: `${Math.round(progress * 100)}%` }} />
            </div>
          </div>
        )}
        {error && (
          <div className="error-box" role="alert" data-testid="import-error" style={{ margin: "12px 0" }}>
            {error}
          </div>
        )}
        <div className="row" style={{ marginTop: 12 }}>
          <button type="submit" className="btn primary" disabled={!file || tooBig || progress !== null} data-testid="submit-import">
            {progress !== null ? "Importing…" : "Import"}
          </button>
        </div>
        {gate.prompt}
      </form>
    </>
  );
}
