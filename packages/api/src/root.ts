import { authRouter } from "./router/auth";
import { compareRouter } from "./router/compare";
import { hardExamplesRouter } from "./router/hardExamples";
import { modelRouter } from "./router/model";
import { registryRouter } from "./router/registry";
import { runRouter } from "./router/run";
import { sweepRouter } from "./router/sweep";
import { createTRPCRouter } from "./trpc";

export const appRouter = createTRPCRouter({
  // One namespace for everything about runs: runs.list, runs.byId, runs.misclassified,
  // runs.facets, runs.compare, runs.models.
  runs: { ...runRouter, ...compareRouter, ...modelRouter },
  // auth.status: whether mutations (runs.create, cancel, retry, delete) need the admin token.
  auth: authRouter,
  // registry.list, byName, resolve; register, setAlias, removeAlias, deleteVersion (admin).
  registry: registryRouter,
  // hardExamples.list: test images the selected runs got wrong, aggregated across runs.
  hardExamples: hardExamplesRouter,
  // sweeps.list, byId; create, extend, cancel (admin): hyper-parameter searches over the run queue.
  sweeps: sweepRouter,
});

export type AppRouter = typeof appRouter;
