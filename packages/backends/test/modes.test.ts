import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SHARED_ENUMS } from "../src/native/modes";

/** The enums of addon/modes.h as { EnumName: { MEMBER: value } }. */
function parseHeader(text: string): Record<string, Record<string, number>> {
  const code = text.replace(/\/\/.*$/gm, "");
  const out: Record<string, Record<string, number>> = {};
  for (const [, name, body] of code.matchAll(/enum\s+(\w+)\s*\{([^}]*)\}/g)) {
    out[name] = Object.fromEntries(
      body
        .split(",")
        .map((m) => m.trim())
        .filter(Boolean)
        .map((m) => {
          const [key, value] = m.split("=").map((p) => p.trim());
          return [key, Number(value)];
        }),
    );
  }
  return out;
}

/** A TypeScript numeric enum's own members (without the reverse mapping). */
const members = (e: object) => Object.fromEntries(Object.entries(e).filter(([, v]) => typeof v === "number"));

describe("kernel modes shared with C++", () => {
  const header = parseHeader(readFileSync(new URL("../addon/modes.h", import.meta.url), "utf8"));

  it("modes.h and modes.ts declare the same enums with the same names and values", () => {
    expect(Object.keys(header).sort()).toEqual(Object.keys(SHARED_ENUMS).sort());
    for (const [name, e] of Object.entries(SHARED_ENUMS)) expect(header[name], name).toEqual(members(e));
  });

  it("the parser sees a changed value (the check can fail)", () => {
    const changed = parseHeader("enum BinOp { ADD = 0, SUB = 2 };");
    expect(changed.BinOp).not.toEqual({ ADD: 0, SUB: 1 });
  });
});
