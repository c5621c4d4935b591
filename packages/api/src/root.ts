import { compareRouter } from "./router/compare";
import { runRouter } from "./router/run";
import { createTRPCRouter } from "./trpc";

export const appRouter = createTRPCRouter({
  // One namespace for everything about runs: runs.list, runs.byId, runs.misclassified,
  // runs.facets, runs.compare.
  runs: { ...runRouter, ...compareRouter },
});

export type AppRouter = typeof appRouter;
