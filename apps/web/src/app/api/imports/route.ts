import { importMaxBytes, isAdmin, KerasImportError, queueImport } from "@fmnist/api/imports";
import { db } from "@fmnist/db/client";
import { artifactsDir } from "@fmnist/db/config";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

const problem = (status: number, message: string) => Response.json({ error: message }, { status });

/**
 * POST /api/imports (multipart: `file`, optional `name`; admin token as for every change): a Keras
 * `.keras` or `.h5` model becomes a QUEUED run of kind "imported" that a worker evaluates on the
 * test set. The file is read and translated before anything is recorded: a refused file gets a
 * 400 with the reason, an oversized one a 413, and neither leaves a run or a file behind.
 */
export async function POST(req: Request) {
  if (!isAdmin(req.headers)) return problem(401, "This action needs the admin token (FMNIST_ADMIN_TOKEN).");
  const max = importMaxBytes();
  // Refuse by the declared length before reading the body; the file's own size is checked again.
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > max + 64 * 1024) return problem(413, `the upload is ${declared} bytes; the limit is ${max} bytes (FMNIST_IMPORT_MAX_BYTES)`);
  let form: FormData;
  try {
    form = await req.formData();
  } catch {
    return problem(400, "expected a multipart form with a file field");
  }
  const file = form.get("file");
  if (!(file instanceof File)) return problem(400, "expected a multipart form with a file field");
  if (file.size > max) return problem(413, `${file.name} is ${file.size} bytes; the limit is ${max} bytes (FMNIST_IMPORT_MAX_BYTES)`);
  if (!/\.(keras|h5|hdf5)$/i.test(file.name)) return problem(400, `${file.name}: expected a Keras .keras or .h5 file`);
  const name = form.get("name");
  try {
    const queued = await queueImport({
      db: db(),
      bytes: new Uint8Array(await file.arrayBuffer()),
      fileName: file.name,
      name: typeof name === "string" ? name : undefined,
      artifactsRoot: artifactsDir(),
    });
    return Response.json(queued, { status: 201 });
  } catch (e) {
    if (e instanceof KerasImportError) return problem(400, e.message);
    throw e;
  }
}
