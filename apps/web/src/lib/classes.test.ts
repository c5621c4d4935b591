import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { FIXTURE_DIR, readTestSet } from "@fmnist/data";
import { describe, expect, it } from "vitest";
import { classNames } from "./classes";

const repo = resolve(import.meta.dirname, "../../../..");

/** Every file a module imports, followed through relative imports and @fmnist/* export subpaths. */
function importGraph(entry: string, seen = new Set<string>()): Set<string> {
  if (seen.has(entry)) return seen;
  seen.add(entry);
  for (const [, spec] of readFileSync(entry, "utf8").matchAll(/^(?:import|export)[^"']*from\s+["']([^"']+)["']/gm)) {
    if (spec.startsWith(".")) importGraph(`${resolve(dirname(entry), spec)}.ts`, seen);
    else if (spec.startsWith("@fmnist/")) {
      const [, pkg, sub] = spec.match(/^@fmnist\/([^/]+)\/?(.*)$/)!;
      const pkgDir = join(repo, "packages", pkg);
      const target = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")).exports[sub ? `./${sub}` : "."];
      importGraph(join(pkgDir, target), seen);
    } else seen.add(spec);
  }
  return seen;
}

describe("class names in the browser", () => {
  it("name the dataset's labels in order: the fixture's first test images are an ankle boot, a pullover and a trouser", () => {
    const test = readTestSet(FIXTURE_DIR);
    const names = classNames("en");
    expect(names).toHaveLength(10);
    expect(new Set(names).size).toBe(10);
    expect(new Set(classNames("zh")).size).toBe(10);
    // Zalando's order: label 9 is "Ankle boot" (短靴), 2 "Pullover", 1 "Trouser".
    expect([...test.labels.subarray(0, 3)].map((l) => names[l])).toEqual(["Ankle boot", "Pullover", "Trouser"]);
    expect(classNames("zh")[test.labels[0]]).toBe("短靴");
  });

  it("load without tfjs or any Node module, so every page can show them cheaply", () => {
    const graph = [...importGraph(join(import.meta.dirname, "classes.ts"))];
    // The walk does reach the other packages (the image shape comes from @fmnist/data)...
    expect(graph.some((f) => f.endsWith(join("packages", "data", "src", "image.ts")) && existsSync(f))).toBe(true);
    // ...and finds only our own files: no "@tensorflow/tfjs", no "node:fs".
    expect(graph.filter((f) => !f.startsWith("/"))).toEqual([]);
  });
});
