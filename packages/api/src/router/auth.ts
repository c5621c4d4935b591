import type { TRPCRouterRecord } from "@trpc/server";
import { publicProcedure } from "../trpc";
import { authStatusHandler } from "./auth/status.handler";

export const authRouter = {
  /** auth.status: { tokenRequired, authorized } for the request's Authorization header. */
  status: publicProcedure.query(({ ctx }) => authStatusHandler(ctx)),
} satisfies TRPCRouterRecord;
