import { appRouter, createTRPCContext } from "@fmnist/api";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";

// Reads the database on every request.
export const dynamic = "force-dynamic";

function handler(req: Request) {
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    router: appRouter,
    req,
    createContext: () => createTRPCContext({ headers: req.headers }),
    onError({ error, path }) {
      // Bad input is the caller's problem (4xx); anything else is ours and worth a log line.
      if (error.code === "INTERNAL_SERVER_ERROR") console.error(`tRPC ${path ?? "?"} failed:`, error.cause ?? error);
    },
  });
}

export { handler as GET, handler as POST };
