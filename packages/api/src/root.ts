import { compareRouter } from "./router/compare";
import { modelRouter } from "./router/model";
import { runRouter } from "./router/run";
import { createTRPCRouter } from "./trpc";

export const appRouter = createTRPCRouter({
  // One namespace for everything about runs: runs.list, runs.byId, runs.misclassified,
  // runs.facets, runs.compare, runs.models.
  runs: { ...runRouter, ...compareRouter, ...modelRouter },
});

export type AppRouter = typeof appRouter;
