import type { TRPCRouterRecord } from "@trpc/server";
import { publicProcedure } from "../trpc";
import { modelsHandler } from "./model/models.handler";

export const modelRouter = {
  /** runs.models: runs with an exported model, best SUCCEEDED first (the classify page's picker). */
  models: publicProcedure.query(({ ctx }) => modelsHandler(ctx)),
} satisfies TRPCRouterRecord;
