"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { type ReactNode, useState } from "react";
import { useTRPC } from "~/trpc/react";
import { setAdminToken } from "./admin-token";

const NEEDS_TOKEN = "This action needs the admin token (FMNIST_ADMIN_TOKEN).";

/** A tRPC client error's code, if it has one. */
export function errorCode(error: unknown): string | undefined {
  return (error as { data?: { code?: string } } | null)?.data?.code;
}

/**
 * Gate for mutations when the server sets FMNIST_ADMIN_TOKEN. `guard(action)` runs the action at
 * once when no token is needed or the stored one is accepted; otherwise it asks for the token
 * first. `unauthorized(message, retry)` is for a 401 that still comes back (token changed on the
 * server): the stored token is dropped and the prompt shows the server's message. Render `prompt`.
 */
export function useAdminGate(): { guard: (action: () => void) => void; unauthorized: (message: string, retry: () => void) => void; prompt: ReactNode } {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const status = useQuery(trpc.auth.status.queryOptions(undefined, { staleTime: 60_000 }));
  const [asking, setAsking] = useState<{ message: string; action: () => void } | null>(null);

  const guard = (action: () => void) => {
    // From the cache, not this render's snapshot: a retry after saving a token runs in a closure
    // made before the token was checked.
    const current = queryClient.getQueryData(trpc.auth.status.queryKey()) ?? status.data;
    if (current?.tokenRequired && !current.authorized) setAsking({ message: NEEDS_TOKEN, action });
    else action();
  };
  const unauthorized = (message: string, retry: () => void) => {
    setAdminToken(null);
    void queryClient.invalidateQueries({ queryKey: trpc.auth.status.queryKey() });
    setAsking({ message, action: retry });
  };
  const prompt = asking ? (
    <TokenPrompt
      message={asking.message}
      onSave={async (token) => {
        setAdminToken(token);
        await queryClient.invalidateQueries({ queryKey: trpc.auth.status.queryKey() });
        const { action } = asking;
        setAsking(null);
        action();
      }}
      onCancel={() => setAsking(null)}
    />
  ) : null;
  return { guard, unauthorized, prompt };
}

/** Not a <form>: it also shows inside the new-run form, and forms must not nest. */
function TokenPrompt({ message, onSave, onCancel }: { message: string; onSave: (token: string) => void; onCancel: () => void }) {
  const [token, setToken] = useState("");
  const save = () => {
    if (token.trim()) onSave(token.trim());
  };
  return (
    // biome-ignore lint/a11y/useSemanticElements: a group of controls inside another form
    <div className="token-prompt" data-testid="token-prompt" role="group" aria-label="Admin token">
      <div className="error-box small">{message}</div>
      <div className="row">
        <label className="muted small" htmlFor="admin-token">
          Admin token
        </label>
        <input
          id="admin-token"
          type="password"
          autoComplete="off"
          value={token}
          onChange={(e) => setToken(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter") {
              // Enter saves the token; it must not submit a surrounding form.
              e.preventDefault();
              save();
            }
          }}
        />
        <button type="button" className="btn primary" disabled={!token.trim()} onClick={save}>
          Save token and continue
        </button>
        <button type="button" className="btn" onClick={onCancel}>
          Not now
        </button>
      </div>
      <p className="muted small">Kept in this browser (localStorage) and sent as an Authorization header with each change.</p>
    </div>
  );
}
