import { openApiDocument } from "~/serving/openapi";

export const dynamic = "force-static";

export function GET() {
  return Response.json(openApiDocument());
}
