"use client";

import { setRunNoteSchema, setRunTagsSchema } from "@fmnist/api/schemas";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { errorCode, useAdminGate } from "~/jobs/admin";
import { useTRPC, useTRPCClient } from "~/trpc/react";

/** "a, b,, c" -> ["a", "b", "c"]: how a person types a tag list. */
export function parseTagList(text: string): string[] {
  return text
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);
}

/** A tag as a link to the experiments list filtered by it. */
export function TagChip({ tag }: { tag: string }) {
  return (
    <Link className="tag" href={`/?tags=${encodeURIComponent(tag)}`} data-testid="run-tag">
      {tag}
    </Link>
  );
}

/** A run's tags and note on its page, editable (admin token when the server sets one). The same
 * zod schemas as the API check the input before it is sent. */
export function RunLabels({ run }: { run: { id: string; tags: string[]; note: string | null } }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const gate = useAdminGate();
  const [editing, setEditing] = useState(false);
  const [tagsText, setTagsText] = useState("");
  const [note, setNote] = useState("");
  const [problem, setProblem] = useState<string | null>(null);

  const save = useMutation({
    mutationFn: async (input: { tags: string[]; note: string }) => {
      // Two calls, one save: tags first, so a refused note still leaves the tags as typed.
      await client.runs.setTags.mutate({ id: run.id, tags: input.tags });
      await client.runs.setNote.mutate({ id: run.id, note: input.note });
    },
    onSuccess: async () => {
      setEditing(false);
      await queryClient.invalidateQueries({ queryKey: trpc.runs.pathKey() });
    },
    onError: (error, input) => {
      if (errorCode(error) === "UNAUTHORIZED") gate.unauthorized(error.message, () => save.mutate(input));
      else setProblem(error.message);
    },
  });

  const submit = () => {
    const tags = setRunTagsSchema.safeParse({ id: run.id, tags: parseTagList(tagsText) });
    const text = setRunNoteSchema.safeParse({ id: run.id, note });
    const issue = (tags.error ?? text.error)?.issues[0];
    if (issue) return setProblem(issue.message);
    setProblem(null);
    gate.guard(() => save.mutate({ tags: tags.data?.tags ?? [], note }));
  };

  if (!editing) {
    return (
      <div className="run-labels" data-testid="run-labels">
        <div className="row">
          {run.tags.map((t) => (
            <TagChip key={t} tag={t} />
          ))}
          {run.tags.length === 0 && <span className="muted small">No tags</span>}
          <button
            type="button"
            className="btn small"
            data-testid="edit-labels"
            onClick={() => {
              setTagsText(run.tags.join(", "));
              setNote(run.note ?? "");
              setProblem(null);
              setEditing(true);
            }}
          >
            Edit tags and note
          </button>
        </div>
        {run.note && (
          <p className="run-note" data-testid="run-note">
            {run.note}
          </p>
        )}
        {gate.prompt}
      </div>
    );
  }
  return (
    <form
      className="run-labels panel"
      data-testid="labels-form"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <div className="field">
        <label htmlFor="run-tags">Tags (comma-separated)</label>
        <input id="run-tags" value={tagsText} onChange={(e) => setTagsText(e.target.value)} placeholder="baseline, paper" data-testid="tags-input" />
      </div>
      <div className="field">
        <label htmlFor="run-note">Note</label>
        <textarea id="run-note" value={note} onChange={(e) => setNote(e.target.value)} rows={3} data-testid="note-input" />
      </div>
      {problem && (
        <p className="field-error" role="alert">
          {problem}
        </p>
      )}
      <div className="row">
        <button type="submit" className="btn primary" disabled={save.isPending} data-testid="save-labels">
          {save.isPending ? "Saving…" : "Save"}
        </button>
        <button type="button" className="btn" onClick={() => setEditing(false)}>
          Cancel
        </button>
      </div>
      {gate.prompt}
    </form>
  );
}
