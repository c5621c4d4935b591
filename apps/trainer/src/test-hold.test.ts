import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { waitWhileHeld } from "./test-hold";

const dir = mkdtempSync(join(tmpdir(), "fmnist-hold-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const never = () => false;

describe("the test-only hold", () => {
  it("does nothing without a hold file configured, or when the file is absent", async () => {
    await waitWhileHeld(1, never, undefined);
    await waitWhileHeld(1, never, join(dir, "absent"));
  });

  it("holds epochs after the number in the file until it is raised or removed", async () => {
    const file = join(dir, "hold");
    writeFileSync(file, "1");
    // Epoch 1 is allowed.
    await waitWhileHeld(1, never, file);
    let released = false;
    const waiting = waitWhileHeld(2, never, file).then(() => {
      released = true;
    });
    await new Promise((r) => setTimeout(r, 400));
    expect(released).toBe(false);
    writeFileSync(file, "2");
    await waiting;
    expect(released).toBe(true);

    const third = waitWhileHeld(3, never, file);
    await new Promise((r) => setTimeout(r, 250));
    rmSync(file);
    await third;
  });

  it("lets a cancelled run go", async () => {
    const file = join(dir, "hold-cancel");
    writeFileSync(file, "0");
    let stop = false;
    const waiting = waitWhileHeld(1, () => stop, file);
    setTimeout(() => {
      stop = true;
    }, 200);
    await waiting;
  });
});
