// Prints the test images that the most runs get wrong, with their labels and what the runs
// predicted: hardExamples.list over DATABASE_URL (default selection: every succeeded run on the
// full test set, else the runs on the latest run's test set).
// Usage: pnpm --filter @fmnist/api hard-examples [--top 5] [--database-url file:...]
import { databaseUrl } from "@fmnist/db/config";
import { CLASS_NAMES_EN, CLASS_NAMES_ZH } from "@fmnist/model/classes";
import { createCaller, createContextForUrl } from "../src/index";

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const top = Number(arg("top") ?? 5);
const url = arg("database-url") ?? databaseUrl();
const ctx = createContextForUrl(url);
try {
  const r = await createCaller(ctx).hardExamples.list({ limit: top });
  console.log(`${r.runs.length} runs on a ${r.numExamples.toLocaleString("en")}-image test set; ${r.allWrong} images wrong in every run`);
  for (const item of r.items) {
    const predicted = item.predicted
      .map((n, c) => ({ n, c }))
      .filter((x) => x.n > 0)
      .sort((a, b) => b.n - a.n)
      .map((x) => `${CLASS_NAMES_EN[x.c]} x${x.n}`)
      .join(", ");
    console.log(
      `test #${item.testIndex}: ${CLASS_NAMES_EN[item.trueLabel]} (${CLASS_NAMES_ZH[item.trueLabel]}), wrong in ${item.wrongRuns}/${r.runs.length} runs, predicted as ${predicted}`,
    );
  }
} finally {
  await ctx.db.$disconnect();
}
