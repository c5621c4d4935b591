import { createCaller, createTRPCContext } from "@fmnist/api";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { encodeGreyPng } from "~/server/png";
import { resolveTestSetDir, TestSetNotFoundError, testImage, testSet } from "~/server/test-images";

export const dynamic = "force-dynamic";

const problem = (status: number, message: string) => Response.json({ error: message }, { status });

/** GET /api/dataset/test-images/<index>?run=<runId>: test image <index> of the dataset that run was
 * evaluated on, as a 28x28 greyscale PNG. */
export async function GET(req: Request, ctx: { params: Promise<{ index: string }> }) {
  const { index: rawIndex } = await ctx.params;
  // Digits only: no signs, exponents or hex that Number() would accept.
  if (!/^\d{1,6}$/.test(rawIndex)) return problem(400, "index must be a whole number from 0 to the test set size - 1");
  const index = Number(rawIndex);
  const runId = new URL(req.url).searchParams.get("run");
  if (!runId) return problem(400, "the run query parameter is required (?run=<runId>)");

  try {
    const api = createCaller(createTRPCContext({ headers: req.headers }));
    const dir = resolveTestSetDir(await api.runs.dataset({ id: runId }));
    if (!dir) throw new TestSetNotFoundError(null);
    const set = await testSet(dir);
    if (index >= set.count) return problem(404, `index ${index} is out of range: the test set has ${set.count} images`);
    const png = encodeGreyPng(testImage(set, index), 28, 28);
    return new Response(new Uint8Array(png), {
      headers: {
        "content-type": "image/png",
        // A run's test image never changes.
        "cache-control": "public, max-age=86400, immutable",
        "x-label": String(set.labels[index]),
      },
    });
  } catch (e) {
    if (e instanceof TRPCError) return problem(getHTTPStatusCodeFromError(e), e.message);
    if (e instanceof TestSetNotFoundError) return problem(404, e.message);
    console.error("test image failed:", e);
    return problem(500, "could not read the test image");
  }
}
