import { constants } from "node:fs";
import { open, realpath } from "node:fs/promises";
import { join, resolve, sep } from "node:path";
import { Readable } from "node:stream";
import { runArtifactsDir } from "@fmnist/db/artifacts";
import { artifactsDir } from "@fmnist/db/config";

export const dynamic = "force-dynamic";

const problem = (status: number, message: string) => Response.json({ error: message }, { status });

// Names only: no separators, no "..", nothing that could leave ARTIFACTS_DIR/runs/<runId>/.
const SAFE_FILE = /^(?!\.)[A-Za-z0-9._-]{1,200}$/;

const CONTENT_TYPES: Record<string, string> = { json: "application/json", bin: "application/octet-stream" };

/** GET /api/artifacts/<runId>/<file>: a file the trainer exported for the run (model.json,
 * weights.bin). model.json names weights.bin relative to itself, so tf.loadLayersModel works on
 * this URL directly. `?download=1` asks the browser to save it. */
export async function GET(req: Request, ctx: { params: Promise<{ runId: string; file: string }> }) {
  const { runId, file } = await ctx.params;
  const base = runArtifactsDir(runId);
  if (!base || !SAFE_FILE.test(file) || file.includes("..")) return problem(400, "invalid run id or file name");
  const path = resolve(join(base, file));
  if (!path.startsWith(base + sep)) return problem(400, "invalid file name");

  // The path's text is checked above; what is opened must also BE inside: a symbolic link in
  // ARTIFACTS_DIR (a file linking to /etc/passwd, a run folder linking elsewhere) resolves outside.
  let real: string;
  let root: string;
  try {
    [real, root] = await Promise.all([realpath(path), realpath(artifactsDir())]);
  } catch {
    return problem(404, `no file ${file} for run ${runId}`);
  }
  if (!real.startsWith(root + sep)) return problem(404, `no file ${file} for run ${runId}`);
  // O_NOFOLLOW: a link swapped in after realpath() is refused, not followed; fstat on the open
  // descriptor says what is really served.
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return problem(404, `no file ${file} for run ${runId}`);
  }
  const stat = await handle.stat();
  if (!stat.isFile()) {
    await handle.close();
    return problem(404, `no file ${file} for run ${runId}`);
  }
  const size = stat.size;
  const ext = file.split(".").pop() ?? "";
  const headers: Record<string, string> = {
    "content-type": CONTENT_TYPES[ext] ?? "application/octet-stream",
    "content-length": String(size),
    "cache-control": "no-cache",
  };
  if (new URL(req.url).searchParams.has("download")) headers["content-disposition"] = `attachment; filename="${runId}-${file}"`;
  return new Response(Readable.toWeb(handle.createReadStream()) as ReadableStream, { headers });
}
