import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** `pnpm --filter @fmnist/db test` runs vitest directly (turbo would run `generate` first). */
export default function setup() {
  const pkg = dirname(dirname(fileURLToPath(import.meta.url)));
  const missing = ["sqlite", "postgres"].some((p) => !existsSync(join(pkg, "src/generated", p, "client.ts")));
  if (missing) {
    execFileSync("pnpm", ["run", "generate"], { cwd: pkg, stdio: "inherit" });
  }
}
