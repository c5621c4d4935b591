import { adminTokenRequired, type Context, isAdmin } from "../../trpc";

/** What the UI needs to know before a mutation: whether a token is required, and whether the one
 * this request carries (the browser's stored token) is accepted. Never says anything about it. */
export function authStatusHandler(ctx: Context) {
  return { tokenRequired: adminTokenRequired(), authorized: isAdmin(ctx.headers) };
}
