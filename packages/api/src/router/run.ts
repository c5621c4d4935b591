import type { TRPCRouterRecord } from "@trpc/server";
import { adminProcedure, publicProcedure } from "../trpc";
import { runByIdHandler } from "./run/byId.handler";
import { runByIdSchema } from "./run/byId.schema";
import { cancelRunHandler } from "./run/cancel.handler";
import { cancelRunSchema } from "./run/cancel.schema";
import { createRunHandler } from "./run/create.handler";
import { createRunSchema } from "./run/create.schema";
import { runDatasetHandler } from "./run/dataset.handler";
import { deleteRunHandler } from "./run/delete.handler";
import { deleteRunSchema } from "./run/delete.schema";
import { facetsHandler } from "./run/facets.handler";
import { listRunsHandler } from "./run/list.handler";
import { listRunsSchema } from "./run/list.schema";
import { misclassifiedHandler } from "./run/misclassified.handler";
import { misclassifiedSchema } from "./run/misclassified.schema";
import { retryRunHandler } from "./run/retry.handler";
import { retryRunSchema } from "./run/retry.schema";
import { setRunNoteHandler, setRunTagsHandler } from "./run/tags.handler";
import { setRunNoteSchema, setRunTagsSchema } from "./run/tags.schema";

export const runRouter = {
  list: publicProcedure.input(listRunsSchema).query(({ ctx, input }) => listRunsHandler(ctx, input)),
  byId: publicProcedure.input(runByIdSchema).query(({ ctx, input }) => runByIdHandler(ctx, input)),
  misclassified: publicProcedure.input(misclassifiedSchema).query(({ ctx, input }) => misclassifiedHandler(ctx, input)),
  dataset: publicProcedure.input(runByIdSchema).query(({ ctx, input }) => runDatasetHandler(ctx, input)),
  facets: publicProcedure.query(({ ctx }) => facetsHandler(ctx)),
  // Training jobs: admin-only when FMNIST_ADMIN_TOKEN is set.
  create: adminProcedure.input(createRunSchema).mutation(({ ctx, input }) => createRunHandler(ctx, input)),
  cancel: adminProcedure.input(cancelRunSchema).mutation(({ ctx, input }) => cancelRunHandler(ctx, input)),
  retry: adminProcedure.input(retryRunSchema).mutation(({ ctx, input }) => retryRunHandler(ctx, input)),
  delete: adminProcedure.input(deleteRunSchema).mutation(({ ctx, input }) => deleteRunHandler(ctx, input)),
  // Tags and the note: bookkeeping, but still changes, so behind the same token.
  setTags: adminProcedure.input(setRunTagsSchema).mutation(({ ctx, input }) => setRunTagsHandler(ctx, input)),
  setNote: adminProcedure.input(setRunNoteSchema).mutation(({ ctx, input }) => setRunNoteHandler(ctx, input)),
} satisfies TRPCRouterRecord;
