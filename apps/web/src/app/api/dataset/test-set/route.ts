import { createHash } from "node:crypto";
import { createCaller, createTRPCContext } from "@fmnist/api";
import { IMAGE_PIXELS } from "@fmnist/data/image";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { encodeTestSet } from "~/classify/test-set-format";
import { resolveTestSetDir, type TestSet, TestSetNotFoundError, testSet } from "~/server/test-images";

export const dynamic = "force-dynamic";

const problem = (status: number, message: string) => Response.json({ error: message }, { status });

// One encoded blob per parsed test set (7.8 MB for the full 10,000 images), with its content hash
// as the ETag: the classify page may run the whole test set many times.
const holder = globalThis as { __fmnistTestSetBlobs?: WeakMap<TestSet, { body: Uint8Array<ArrayBuffer>; etag: string }> };
holder.__fmnistTestSetBlobs ??= new WeakMap();
const blobs = holder.__fmnistTestSetBlobs;

function encoded(set: TestSet): { body: Uint8Array<ArrayBuffer>; etag: string } {
  let entry = blobs.get(set);
  if (!entry) {
    const body = encodeTestSet(set.labels.subarray(0, set.count), set.images.subarray(0, set.count * IMAGE_PIXELS));
    entry = { body, etag: `"${createHash("sha1").update(body).digest("base64url")}"` };
    blobs.set(set, entry);
  }
  return entry;
}

/** GET /api/dataset/test-set?run=<runId>: every test image and label of the dataset the run was
 * evaluated on, as one binary blob (format in ~/classify/test-set-format.ts). */
export async function GET(req: Request) {
  const runId = new URL(req.url).searchParams.get("run");
  if (!runId) return problem(400, "the run query parameter is required (?run=<runId>)");
  try {
    const api = createCaller(createTRPCContext({ headers: req.headers }));
    const dir = resolveTestSetDir(await api.runs.dataset({ id: runId }));
    if (!dir) throw new TestSetNotFoundError(null);
    const { body, etag } = encoded(await testSet(dir));
    const headers = {
      "content-type": "application/octet-stream",
      // Revalidated (cheap 304) rather than trusted blindly: the dataset dir could be replaced.
      "cache-control": "private, max-age=0, must-revalidate",
      etag,
      "x-test-count": String(body.length > 0 ? new DataView(body.buffer, body.byteOffset).getUint32(8, true) : 0),
    };
    if (req.headers.get("if-none-match") === etag) return new Response(null, { status: 304, headers });
    return new Response(body, { headers: { ...headers, "content-length": String(body.length) } });
  } catch (e) {
    if (e instanceof TRPCError) return problem(getHTTPStatusCodeFromError(e), e.message);
    if (e instanceof TestSetNotFoundError) return problem(404, e.message);
    console.error("test set failed:", e);
    return problem(500, "could not read the test set");
  }
}
