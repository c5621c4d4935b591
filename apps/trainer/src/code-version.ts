import { execFileSync } from "node:child_process";

/** git commit of the code that trained (with "-dirty" for uncommitted changes), for reproducibility. */
export function codeVersion(): string {
  try {
    const sha = execFileSync("git", ["rev-parse", "--short=12", "HEAD"], { stdio: ["ignore", "pipe", "ignore"] })
      .toString()
      .trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], {
      stdio: ["ignore", "pipe", "ignore"],
    })
      .toString()
      .trim();
    return dirty ? `${sha}-dirty` : sha;
  } catch {
    return process.env.FMNIST_CODE_VERSION ?? "unknown";
  }
}
