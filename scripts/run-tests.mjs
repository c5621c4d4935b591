// Runs every test suite (vitest per package via turbo, then Playwright in Chromium), streams their
// output, and ends with the failed and flaky tests by name (CI keeps only the tail of the log) and one
// line "N passed, N failed, N skipped" summed over all of them. Every test gets one retry: a test
// that passes only on its retry counts as passed but is named as flaky, with its first error.
import { spawn } from "node:child_process";
import { join } from "node:path";

// biome-ignore lint/suspicious/noControlCharactersInRegex: strips the runners' ANSI colour codes
const strip = (s) => s.replace(/\x1b\[[0-9;]*m/g, "");
const totals = { passed: 0, failed: 0, skipped: 0 };
const failures = [];
let anyFailed = false;

function run(cmd, args, parse) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, FORCE_COLOR: "0" } });
    let out = "";
    const onData = (stream) => (d) => {
      stream.write(d);
      out += d.toString();
    };
    child.stdout.on("data", onData(process.stdout));
    child.stderr.on("data", onData(process.stderr));
    child.on("close", (code) => {
      parse(strip(out));
      if (code !== 0) anyFailed = true;
      resolve(code);
    });
  });
}

const vitestSummary = (text) => {
  // Vitest: "      Tests  12 passed | 1 skipped (13)" once per package.
  for (const line of text.split("\n").filter((l) => /^\s*(\S+:\s+)?Tests\s+\d+ /.test(l))) {
    for (const [, n, kind] of line.matchAll(/(\d+) (passed|failed|skipped)/g)) totals[kind] += Number(n);
  }
  // Vitest names each failed test as "<pkg>:test:  FAIL  src/x.test.ts > suite > test", its error
  // on one of the next lines.
  const lines = text.split("\n").map((l) => l.replace(/^\S+:test:\s?/, ""));
  lines.forEach((line, i) => {
    const name = /^\s*FAIL\s+(.+)$/.exec(line)?.[1];
    if (!name) return;
    const error = lines.slice(i + 1, i + 4).find((l) => /Error|expected/.test(l));
    failures.push(`vitest: ${name.trim()}${error ? `\n      ${error.trim().slice(0, 300)}` : ""}`);
  });
  for (const [, flaky] of text.matchAll(/^(?:\S+:\s+)?FLAKY (.+)$/gm)) failures.push(`vitest, flaky: ${flaky.trim()}`);
};
const playwrightSummary = (text) => {
  for (const [, n, kind] of text.matchAll(/^\s+(\d+) (passed|failed|skipped|flaky)\b/gm)) {
    totals[kind === "flaky" ? "passed" : kind] += Number(n);
  }
  // Playwright lists failed and flaky (passed on retry) tests after its summary: "    [chromium] › e2e/x.spec.ts:12:3 › name".
  const after = text.split(/^\s+\d+ (?:failed|flaky)\b/m).slice(1).join("\n");
  for (const [, name] of after.matchAll(/^\s+(\[chromium\] › .+)$/gm)) failures.push(`playwright: ${name.trim()}`);
};

// --continue: one failing package must not hide the tests of the packages after it.
const retryReporter = join(import.meta.dirname, "vitest-retry-reporter.mjs");
await run(
  "pnpm",
  ["turbo", "run", "test", "--concurrency=1", "--continue", "--output-logs=full", "--", "--retry=1", "--reporter=default", `--reporter=${retryReporter}`],
  vitestSummary,
);
await run("pnpm", ["--filter", "@fmnist/web", "test:e2e", "--retries=1"], playwrightSummary);

if (failures.length > 0) console.log(`\nFailed or flaky:\n${[...new Set(failures)].map((f) => `  ${f}`).join("\n")}`);
console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(anyFailed || totals.failed > 0 || totals.passed === 0 ? 1 : 0);
