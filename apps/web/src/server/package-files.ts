import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * A GET handler for /<route>/<file> that serves a few files from an installed package's dist folder
 * (WebAssembly builds and their glue), so they always match the JS bundled with the page's worker.
 * `files` maps each servable file name to its content type; anything else is a 404. Read once, then
 * kept in memory.
 */
export function packageFileRoute(packageName: string, files: ReadonlyMap<string, string>) {
  const probe = [...files.keys()][0];
  const distDir = (): string | null => {
    // `next start` runs in apps/web (pnpm links the package there); the repo root covers other setups.
    const candidates = [join(process.cwd(), "node_modules", packageName, "dist"), join(process.cwd(), "apps/web/node_modules", packageName, "dist")];
    return candidates.find((d) => existsSync(/*turbopackIgnore: true*/ join(d, probe))) ?? null;
  };
  const cache = new Map<string, Uint8Array<ArrayBuffer>>();
  return async function servePackageFile(_req: Request, ctx: { params: Promise<{ file: string }> }): Promise<Response> {
    const { file } = await ctx.params;
    const type = files.get(file);
    if (!type) return Response.json({ error: `no such file: ${file}` }, { status: 404 });
    let body = cache.get(file);
    if (!body) {
      const dir = distDir();
      if (!dir) return Response.json({ error: `${packageName} is not installed next to the app` }, { status: 500 });
      // The ignore comment keeps Next's file tracer from treating this dynamic path as the whole project.
      body = new Uint8Array(readFileSync(join(/*turbopackIgnore: true*/ dir, file)));
      cache.set(file, body);
    }
    return new Response(body, { headers: { "content-type": type, "content-length": String(body.length), "cache-control": "public, max-age=86400" } });
  };
}
