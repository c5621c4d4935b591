import { datasetErrorResponse, datasetStats, resolveDataset, summaryOf } from "~/server/dataset-stats";

export const dynamic = "force-dynamic";

/** GET /api/dataset/summary?source=full|fixture or ?run=<runId>: counts per class (and the run's
 * train / validation split per class), sample indices per class, intensity histograms. */
export async function GET(req: Request) {
  try {
    const resolved = await resolveDataset(req);
    const summary = summaryOf(await datasetStats(resolved.dir), resolved);
    return Response.json(summary, { headers: { "cache-control": "private, max-age=0, must-revalidate" } });
  } catch (e) {
    return datasetErrorResponse(e, "dataset summary");
  }
}
