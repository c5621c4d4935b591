import { TRPCError } from "@trpc/server";

export function sweepNotFound(id: string): TRPCError {
  return new TRPCError({ code: "NOT_FOUND", message: `No sweep with id "${id}"` });
}
