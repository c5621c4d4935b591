import { handleTRPCRequest } from "@fmnist/api/http";

// Reads the database on every request.
export const dynamic = "force-dynamic";

// Batch and body limits, error hygiene: packages/api/src/http.ts.
const handler = (req: Request) => handleTRPCRequest(req);

export { handler as GET, handler as POST };
