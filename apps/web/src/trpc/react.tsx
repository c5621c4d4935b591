"use client";

import type { AppRouter } from "@fmnist/api";
import { MAX_BATCH_SIZE } from "@fmnist/api/schemas";
import { type QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink, loggerLink } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { type ReactNode, useState } from "react";
import SuperJSON from "superjson";
import { adminAuthHeader } from "~/jobs/admin-token";
import { createQueryClient } from "./query-client";

export const { useTRPC, useTRPCClient, TRPCProvider } = createTRPCContext<AppRouter>();

let browserQueryClient: QueryClient | undefined;
function getQueryClient(): QueryClient {
  // The server renders each request with a fresh client; the browser keeps one for the session.
  if (typeof window === "undefined") return createQueryClient();
  browserQueryClient ??= createQueryClient();
  return browserQueryClient;
}

export function TRPCReactProvider({ children }: { children: ReactNode }) {
  const queryClient = getQueryClient();
  const [trpcClient] = useState(() =>
    createTRPCClient<AppRouter>({
      links: [
        loggerLink({ enabled: (op) => process.env.NODE_ENV === "development" && op.direction === "down" && op.result instanceof Error }),
        httpBatchLink({
          transformer: SuperJSON,
          // The server refuses larger batches.
          maxItems: MAX_BATCH_SIZE,
          url: `${typeof window === "undefined" ? `http://localhost:${process.env.PORT ?? 3000}` : ""}/api/trpc`,
          // The admin token, when this browser has one (mutations need it if the server sets one).
          headers: () => ({ "x-trpc-source": "web", ...adminAuthHeader() }),
        }),
      ],
    }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}
