import { describe, expect, it } from "vitest";
import { encodeGreyPng } from "~/server/png";
import { claimsToBeImage, sniffImage } from "./sniff";

const bytes = (...parts: (number[] | string)[]) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === "string" ? Array.from(p, (c) => c.charCodeAt(0)) : p)));

describe("sniffImage", () => {
  it("reads PNG sizes from IHDR, even for pictures too big to decode", () => {
    expect(sniffImage(new Uint8Array(encodeGreyPng(new Uint8Array(6 * 4), 6, 4)))).toEqual({ format: "png", width: 6, height: 4 });
    const header = bytes([0x89], "PNG", [0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13], "IHDR", [0, 0, 0x4e, 0x20, 0, 0, 0x4e, 0x20, 8, 0, 0, 0, 0]);
    expect(sniffImage(header)).toEqual({ format: "png", width: 20000, height: 20000 });
  });

  it("walks JPEG segments to the frame header", () => {
    // SOI, APP0 of 16 bytes, SOF0 with height 300, width 500.
    const jpeg = bytes([0xff, 0xd8, 0xff, 0xe0, 0, 16], "JFIF", new Array(10).fill(0), [0xff, 0xc0, 0, 17, 8, 0x01, 0x2c, 0x01, 0xf4, 3]);
    expect(sniffImage(jpeg)).toEqual({ format: "jpeg", width: 500, height: 300 });
    expect(sniffImage(bytes([0xff, 0xd8, 0xff, 0xe0]))).toEqual({ format: "jpeg", width: null, height: null });
  });

  it("reads the three WebP headers", () => {
    const riff = (chunk: string, body: number[]) => bytes("RIFF", [0, 0, 0, 0], "WEBP", chunk, [0, 0, 0, 0], body);
    // VP8X: canvas 1000 x 600 stored minus one.
    expect(sniffImage(riff("VP8X", [0, 0, 0, 0, 0xe7, 0x03, 0, 0x57, 0x02, 0]))).toEqual({ format: "webp", width: 1000, height: 600 });
    // VP8 (lossy): start code then 14-bit sizes 640 x 480.
    expect(sniffImage(riff("VP8 ", [0, 0, 0, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01]))).toEqual({ format: "webp", width: 640, height: 480 });
    // VP8L (lossless): 0x2f then width-1 and height-1 in 14 bits each: 28 x 28.
    const w = 27;
    const h = 27;
    const bits = w | (h << 14);
    expect(sniffImage(riff("VP8L", [0x2f, bits & 0xff, (bits >> 8) & 0xff, (bits >> 16) & 0xff, (bits >> 24) & 0xff]))).toEqual({ format: "webp", width: 28, height: 28 });
  });

  it("knows GIF and BMP, and nothing else", () => {
    expect(sniffImage(bytes("GIF89a", [0x10, 0, 0x20, 0]))).toEqual({ format: "gif", width: 16, height: 32 });
    expect(sniffImage(bytes("hello, this is text"))).toEqual({ format: null, width: null, height: null });
    expect(sniffImage(new Uint8Array(0)).format).toBeNull();
  });
});

describe("claimsToBeImage", () => {
  it("goes by MIME type or extension", () => {
    expect(claimsToBeImage("shirt.PNG", "")).toBe(true);
    expect(claimsToBeImage("x", "image/webp")).toBe(true);
    expect(claimsToBeImage("notes.txt", "text/plain")).toBe(false);
  });
});
