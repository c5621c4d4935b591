import { describe, expect, it } from "vitest";
import { duration, lr, pct, signed, signedInt } from "./format";

describe("format", () => {
  it("formats the table's numbers", () => {
    expect(pct(0.91234)).toBe("91.2%");
    expect(pct(null)).toBe("—");
    expect(lr(0.001)).toBe("0.001");
    expect(lr(0.0003)).toBe("3e-4");
    expect(duration(61_000)).toBe("1m 01s");
    expect(duration(3_725_000)).toBe("1h 02m");
    expect(duration(400)).toBe("1s");
  });

  it("signs deltas with a real minus", () => {
    expect(signedInt(-25)).toBe("−25");
    expect(signedInt(3)).toBe("+3");
    expect(signedInt(0)).toBe("0");
    expect(signed(0.0123)).toBe("+0.012");
    expect(signed(-0.0004)).toBe("±0.000");
  });
});
