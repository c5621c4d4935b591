import { salientModel } from "@fmnist/model/salient-node";

export const dynamic = "force-dynamic";

/** GET /classify/segmenter: IS-Net's graph for the classify page's worker, its input size freed
 * (prepared once per server process, about 2 s; 44 MB). */
export async function GET() {
  let body: Uint8Array;
  try {
    body = await salientModel();
  } catch (e) {
    return Response.json({ error: `the segmentation network could not be prepared: ${e instanceof Error ? e.message : String(e)}` }, { status: 500 });
  }
  // The prepared bytes are kept for the process; protobufjs encodes into a plain ArrayBuffer.
  return new Response(body as Uint8Array<ArrayBuffer>, {
    headers: { "content-type": "application/octet-stream", "content-length": String(body.length), "cache-control": "public, max-age=86400" },
  });
}
