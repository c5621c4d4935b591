import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** ../shared/keras-models beside the checkout (CI has it there too). */
export const KERAS_MODELS_DIR = join(import.meta.dirname, "..", "..", "..", "..", "..", "shared", "keras-models");
export const haveFixtures = existsSync(join(KERAS_MODELS_DIR, "README.md"));

export interface GroundTruth {
  file: string;
  kerasVersion: string;
  params: number;
  sha256: string;
  accuracy: number;
  /** Rows = true label, columns = predicted. */
  confusion: number[][];
  /** Test image index -> its ten probabilities. */
  probabilities: Map<number, number[]>;
}

/** The README's summary table and its "Ground truth computed without Keras" sections, read as
 * written, so the tests check against the independent re-implementation and nothing copied here. */
export function readGroundTruth(): GroundTruth[] {
  const text = readFileSync(join(KERAS_MODELS_DIR, "README.md"), "utf8");
  const truth = text.slice(text.indexOf("## Ground truth computed without Keras"));
  const out: GroundTruth[] = [];
  for (const m of text.matchAll(/^\| `([^`]+)` \| [^|]+\| ([0-9.a-z-]+) \| ([0-9,]+)/gm)) {
    const [, file, kerasVersion, params] = m;
    const sectionStart = truth.search(new RegExp(`### \\d+\\. \`${file.replace(/\./g, "\\.")}\``));
    const sectionEnd = truth.indexOf("\n### ", sectionStart + 5);
    const section = truth.slice(sectionStart, sectionEnd === -1 ? undefined : sectionEnd);
    const acc = section.match(/Test accuracy with x\/255: \*\*([0-9.]+)\*\*/);
    if (!acc) throw new Error(`no accuracy for ${file} in the README`);
    const probabilities = new Map<number, number[]>();
    for (const row of section.matchAll(/^\| (\d+) \| (\d) \| (\d) \|((?: [0-9.]+ \|){10})$/gm)) {
      probabilities.set(Number(row[1]), row[4].split("|").map((s) => s.trim()).filter(Boolean).map(Number));
    }
    const confusion: number[][] = [];
    for (const row of section.matchAll(/^\| (\d) [A-Za-z/ -]+\|((?: \d+ \|){10})$/gm)) {
      confusion[Number(row[1])] = row[2].split("|").map((s) => s.trim()).filter(Boolean).map(Number);
    }
    const sha = text.match(new RegExp(`^([0-9a-f]{64})  ${file.replace(/\./g, "\\.")}$`, "m"));
    if (!sha) throw new Error(`no sha256 for ${file} in the README`);
    out.push({ file, kerasVersion, sha256: sha[1], params: Number(params.replace(/,/g, "")), accuracy: Number(acc[1]), confusion, probabilities });
  }
  return out;
}
