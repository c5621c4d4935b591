import { inflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { encodeGreyPng } from "./png";

describe("encodeGreyPng", () => {
  it("writes a valid 8-bit greyscale PNG whose pixels read back unchanged", () => {
    const pixels = Uint8Array.from({ length: 28 * 28 }, (_, i) => (i * 7) % 256);
    const png = encodeGreyPng(pixels, 28, 28);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.toString("ascii", 12, 16)).toBe("IHDR");
    expect(png.readUInt32BE(16)).toBe(28);
    expect(png.readUInt32BE(20)).toBe(28);
    expect(png[24]).toBe(8);
    expect(png[25]).toBe(0);
    const idatLength = png.readUInt32BE(33);
    expect(png.toString("ascii", 37, 41)).toBe("IDAT");
    const raw = inflateSync(png.subarray(41, 41 + idatLength));
    for (let y = 0; y < 28; y++) {
      expect(raw[y * 29]).toBe(0);
      expect([...raw.subarray(y * 29 + 1, y * 29 + 29)]).toEqual([...pixels.subarray(y * 28, y * 28 + 28)]);
    }
    expect(png.toString("ascii", png.length - 8, png.length - 4)).toBe("IEND");
  });

  it("computes the chunk CRCs (IEND's is the well-known AE426082)", () => {
    const png = encodeGreyPng(new Uint8Array(4), 2, 2);
    expect(png.readUInt32BE(png.length - 4)).toBe(0xae426082);
  });

  it("refuses a pixel count that does not match the size", () => {
    expect(() => encodeGreyPng(new Uint8Array(10), 28, 28)).toThrow(/expected 784 pixels/);
  });
});
