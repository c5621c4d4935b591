/**
 * tRPC setup, done once: context (database + dialect + request headers), superjson, an error
 * formatter that turns zod failures into a readable BAD_REQUEST message with field errors, and the
 * procedure builders every router uses.
 */
import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import { createDb, type Db, db as sharedDb } from "@fmnist/db/client";
import { databaseKind, databaseUrl } from "@fmnist/db/config";
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { ZodError, z } from "zod";
import { describeUnstorable, findUnstorableString } from "./lib/storable";

export type Dialect = "sqlite" | "postgres";

export interface Context {
  db: Db;
  /** Raw SQL differs per provider (JSON paths, placeholders); Prisma queries do not care. */
  dialect: Dialect;
  headers: Headers;
}

export interface CreateContextOptions {
  headers?: Headers;
  /** Another database than the process-wide one (tests, bench). */
  db?: Db;
  /** Needed when `db` is given and is not SQLite. */
  dialect?: Dialect;
}

export function createTRPCContext(opts: CreateContextOptions = {}): Context {
  return {
    db: opts.db ?? sharedDb(),
    dialect: opts.dialect ?? (opts.db ? "sqlite" : databaseKind(databaseUrl())),
    headers: opts.headers ?? new Headers(),
  };
}

/** A context on its own database URL (tests, scripts). */
export function createContextForUrl(url: string): Context {
  return { db: createDb(url), dialect: databaseKind(url), headers: new Headers() };
}

/** "limit: Too big: expected number to be <=100; ids: ..." — one line a person can act on. */
export function describeZodError(error: ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map(String).join(".");
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join("; ");
}

const INTERNAL_PREFIX = "Internal error (request id ";

/**
 * An unexpected failure's message can carry database internals (Prisma's "Invalid
 * `prisma.run.findUnique()` invocation ...", SQL state codes, file paths). The caller gets a short
 * message with a request id; the server log gets the whole error under that id. Idempotent, so the
 * procedure middleware and the HTTP error formatter can both apply it.
 */
export function hideInternals(error: TRPCError, path?: string): void {
  if (error.code !== "INTERNAL_SERVER_ERROR" || error.message.startsWith(INTERNAL_PREFIX)) return;
  const requestId = randomUUID();
  console.error(`[request ${requestId}] ${path ?? "?"} failed:`, error.cause ?? error);
  error.message = `${INTERNAL_PREFIX}${requestId}); the server log has the details.`;
  // The stack would name server files; it is logged above.
  error.stack = error.message;
}

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  errorFormatter({ shape, error, path }) {
    const zodError = error.cause instanceof ZodError ? error.cause : null;
    hideInternals(error, path);
    // Never a stack in a response (tRPC adds one in development), never a database message.
    const { stack: _stack, ...data } = shape.data;
    return {
      ...shape,
      message: error.code === "INTERNAL_SERVER_ERROR" ? error.message : shape.message,
      data: {
        ...data,
        // Field errors for forms: { formErrors: [...], fieldErrors: { limit: [...] } }.
        zodError: zodError ? z.flattenError(zodError) : null,
      },
    };
  },
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

/**
 * tRPC puts the zod issues, as JSON, in the message of an input error. This rewrites it to one
 * readable line for every caller (HTTP clients and `createCaller` alike); the issues stay in
 * `cause` and, over HTTP, in `data.zodError`.
 */
const readableInputErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.code === "BAD_REQUEST" && result.error.cause instanceof ZodError) {
    result.error.message = `Invalid input: ${describeZodError(result.error.cause)}`;
  }
  return result;
});

/** Strings PostgreSQL cannot store are refused on both databases, naming the field, before the
 * input schema runs; unexpected errors lose their internals (for createCaller users as well). */
const storableInput = t.middleware(async ({ getRawInput, next, path }) => {
  const found = findUnstorableString(await getRawInput());
  if (found) throw new TRPCError({ code: "BAD_REQUEST", message: `Invalid input: ${describeUnstorable(found)}` });
  const result = await next();
  if (!result.ok) hideInternals(result.error, path);
  return result;
});

/** Anyone may read. */
export const publicProcedure = t.procedure.use(readableInputErrors).use(storableInput);

/**
 * For mutations (new run, cancel, delete). When FMNIST_ADMIN_TOKEN is set, the request must carry
 * it as `Authorization: Bearer <token>`; unset means a trusted single-user setup.
 */
export const adminProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!isAdmin(ctx.headers)) {
    throw new TRPCError({ code: "UNAUTHORIZED", message: "This action needs the admin token (FMNIST_ADMIN_TOKEN)." });
  }
  return next();
});

/** Whether mutations need a token at all (the UI asks for one only then). */
export function adminTokenRequired(): boolean {
  return Boolean(process.env.FMNIST_ADMIN_TOKEN?.trim());
}

/** True without a configured token, else when the request carries it as a Bearer token. Compared
 * as digests in constant time, so response timing does not leak how much of a guess was right. */
export function isAdmin(headers: Headers): boolean {
  const token = process.env.FMNIST_ADMIN_TOKEN?.trim();
  if (!token) return true;
  const given = headers.get("authorization")?.replace(/^Bearer\s+/i, "").trim() ?? "";
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return given.length > 0 && timingSafeEqual(digest(given), digest(token));
}
