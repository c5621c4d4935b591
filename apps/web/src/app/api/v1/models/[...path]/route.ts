import { handleModelGet, handleModelPost } from "~/serving/handlers";

export const dynamic = "force-dynamic";

type Ctx = { params: Promise<{ path: string[] }> };

/** GET /api/v1/models/<name>@<alias> or /<name>/versions/<n>: the version's metadata (loads it). */
export async function GET(_req: Request, ctx: Ctx) {
  return handleModelGet((await ctx.params).path);
}

/** POST .../<ref>:predict (JSON instances) or .../<ref>:classify (a photo). */
export async function POST(req: Request, ctx: Ctx) {
  return handleModelPost(req, (await ctx.params).path);
}
