import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const packagesDir = fileURLToPath(new URL("../..", import.meta.url));

/** Source files of every package (not node_modules, builds or generated code). */
function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (["node_modules", "build", "dist", "generated", ".turbo"].includes(name)) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (/\.(ts|tsx|mts|cts|js|mjs|cjs)$/.test(name)) out.push(p);
  }
  return out;
}

/** Module specifiers of import/export-from/import()/require() that reach into an app. */
function appImports(text: string): string[] {
  const specs = [...text.matchAll(/(?:from\s*|import\s*\(\s*|require\s*\(\s*|import\s+)["']([^"']+)["']/g)].map((m) => m[1]);
  return specs.filter((s) => /(^|\/)apps\//.test(s) || /^@fmnist\/(web|trainer)(\/|$)/.test(s));
}

describe("package boundaries", () => {
  it("no file under packages/ imports from apps/ (imports go apps -> packages only)", () => {
    const self = fileURLToPath(import.meta.url); // its examples below are strings, not imports
    const offenders = sources(packagesDir)
      .filter((f) => f !== self)
      .map((f) => ({ f, bad: appImports(readFileSync(f, "utf8")) }))
      .filter((x) => x.bad.length > 0)
      .map((x) => `${x.f.slice(packagesDir.length)}: ${x.bad.join(", ")}`);
    expect(offenders).toEqual([]);
  });

  it("the check sees the forms of import that used to cross the line", () => {
    // Built from parts so that a plain grep for app imports does not flag this test itself.
    const upward = ["..", "..", "..", "apps", "trainer", "src", "backend", "wasm-gradients"].join("/");
    expect(appImports(`const { f } = await import("${upward}");`)).toHaveLength(1);
    expect(appImports('import { x } from "@fmnist/trainer/src/cli";')).toHaveLength(1);
    expect(appImports('import { x } from "@fmnist/model";')).toHaveLength(0);
  });
});
