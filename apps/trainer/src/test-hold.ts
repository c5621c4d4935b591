import { readFileSync } from "node:fs";

/**
 * Test-only hook, off unless FMNIST_TEST_HOLD_FILE is set: tests that watch a run change state
 * control it instead of racing the machine's training speed. While that file exists and holds a
 * number N, training waits before each batch of any epoch after N; writing a larger N lets more
 * epochs run, deleting the file releases the run. A loaded machine only makes the wait longer.
 */
export async function waitWhileHeld(epoch: number, shouldStop: () => boolean, file = process.env.FMNIST_TEST_HOLD_FILE): Promise<void> {
  if (!file) return;
  for (;;) {
    let allowed: number;
    try {
      allowed = Number(readFileSync(file, "utf8").trim() || "0");
    } catch {
      return; // no file: released
    }
    if (!(epoch > allowed) || shouldStop()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
