import type { TRPCRouterRecord } from "@trpc/server";
import { publicProcedure } from "../trpc";
import { runByIdHandler } from "./run/byId.handler";
import { runByIdSchema } from "./run/byId.schema";
import { runDatasetHandler } from "./run/dataset.handler";
import { facetsHandler } from "./run/facets.handler";
import { listRunsHandler } from "./run/list.handler";
import { listRunsSchema } from "./run/list.schema";
import { misclassifiedHandler } from "./run/misclassified.handler";
import { misclassifiedSchema } from "./run/misclassified.schema";

export const runRouter = {
  list: publicProcedure.input(listRunsSchema).query(({ ctx, input }) => listRunsHandler(ctx, input)),
  byId: publicProcedure.input(runByIdSchema).query(({ ctx, input }) => runByIdHandler(ctx, input)),
  misclassified: publicProcedure.input(misclassifiedSchema).query(({ ctx, input }) => misclassifiedHandler(ctx, input)),
  dataset: publicProcedure.input(runByIdSchema).query(({ ctx, input }) => runDatasetHandler(ctx, input)),
  facets: publicProcedure.query(({ ctx }) => facetsHandler(ctx)),
} satisfies TRPCRouterRecord;
