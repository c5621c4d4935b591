import { IMAGE_PIXELS, IMAGE_SIZE } from "@fmnist/data/image";
import { datasetErrorResponse, datasetProblem, datasetStats, MAX_SAMPLES_PER_CLASS, resolveDataset } from "~/server/dataset-stats";
import { encodeGreyPng } from "~/server/png";

export const dynamic = "force-dynamic";

const SIZE = IMAGE_SIZE;
const KINDS = ["samples", "mean", "std", "image"] as const;
type Kind = (typeof KINDS)[number];

/** Copies a 28x28 cell into a sprite `cols` cells wide. */
function blit(sprite: Uint8Array, cols: number, cell: number, pixels: ArrayLike<number>, scale = 1) {
  const x0 = (cell % cols) * SIZE;
  const y0 = Math.floor(cell / cols) * SIZE;
  const width = cols * SIZE;
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) sprite[(y0 + y) * width + x0 + x] = Math.min(255, Math.round(pixels[y * SIZE + x] * scale));
  }
}

/**
 * GET /api/dataset/sprite/<kind>?source=full|fixture (or ?run=<runId>), one PNG per grid so a page
 * makes one request, not one per image:
 * - samples&set=train|test&per=N: 10 rows (classes) of the first N images of each class
 * - mean, std: the per-class mean image and per-pixel standard deviation (train set), 10 cells
 * - image&set=train|test&index=N: one image
 * Content-addressed by the dataset checksum: ETag, and a 304 when the browser has it.
 */
export async function GET(req: Request, ctx: { params: Promise<{ kind: string }> }) {
  const { kind: rawKind } = await ctx.params;
  if (!KINDS.includes(rawKind as Kind)) return datasetProblem(404, `no sprite named ${JSON.stringify(rawKind)}: one of ${KINDS.join(", ")}`);
  const kind = rawKind as Kind;
  const params = new URL(req.url).searchParams;
  const set = params.get("set") ?? "train";
  if (set !== "train" && set !== "test") return datasetProblem(400, `set must be "train" or "test", not ${JSON.stringify(set)}`);
  const rawPer = params.get("per") ?? "10";
  if (!/^\d{1,3}$/.test(rawPer) || Number(rawPer) < 1 || Number(rawPer) > MAX_SAMPLES_PER_CLASS) {
    return datasetProblem(400, `per must be a whole number from 1 to ${MAX_SAMPLES_PER_CLASS}`);
  }
  const per = Number(rawPer);
  const rawIndex = params.get("index") ?? "";
  if (kind === "image" && !/^\d{1,6}$/.test(rawIndex)) return datasetProblem(400, "index must be a whole number from 0 to the set size - 1");
  const index = Number(rawIndex);

  try {
    const resolved = await resolveDataset(req);
    const stats = await datasetStats(resolved.dir);
    const part = set === "train" ? stats.data.train : stats.data.test;
    const etag = `"${stats.data.checksum.slice(0, 20)}-${kind}-${kind === "samples" || kind === "image" ? set : "train"}-${kind === "samples" ? per : ""}-${kind === "image" ? index : ""}"`;
    const headers: Record<string, string> = {
      "content-type": "image/png",
      // Revalidated (cheap 304) rather than trusted for long: `source=full` could point at another copy.
      "cache-control": "public, max-age=300, must-revalidate",
      etag,
    };
    if (kind === "image") {
      if (index >= part.count) return datasetProblem(404, `index ${index} is out of range: the ${set} set has ${part.count} images`);
      headers["x-label"] = String(part.labels[index]);
    }
    if (req.headers.get("if-none-match") === etag) return new Response(null, { status: 304, headers });

    let png: Buffer;
    if (kind === "image") {
      png = encodeGreyPng(part.images.subarray(index * IMAGE_PIXELS, (index + 1) * IMAGE_PIXELS), SIZE, SIZE);
    } else if (kind === "samples") {
      const sprite = new Uint8Array(per * SIZE * 10 * SIZE);
      const samples = (set === "train" ? stats.train : stats.test).samples;
      for (let c = 0; c < 10; c++) {
        samples[c].slice(0, per).forEach((i, k) => {
          blit(sprite, per, c * per + k, part.images.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS));
        });
      }
      png = encodeGreyPng(sprite, per * SIZE, 10 * SIZE);
    } else {
      const sprite = new Uint8Array(10 * SIZE * SIZE);
      const cells = kind === "mean" ? stats.mean : stats.std;
      const scale = kind === "mean" ? 1 : 255 / Math.max(1e-6, stats.maxStd);
      cells.forEach((cell, c) => {
        blit(sprite, 10, c, cell, scale);
      });
      png = encodeGreyPng(sprite, 10 * SIZE, SIZE);
    }
    return new Response(new Uint8Array(png), { headers });
  } catch (e) {
    return datasetErrorResponse(e, "dataset sprite");
  }
}
