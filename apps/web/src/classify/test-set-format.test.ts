import { describe, expect, it } from "vitest";
import { decodeTestSet, encodeTestSet, TEST_SET_HEADER_BYTES } from "./test-set-format";

describe("test set blob", () => {
  it("round-trips labels and pixels", () => {
    const labels = Uint8Array.from([3, 9, 0]);
    const pixels = Uint8Array.from({ length: 3 * 784 }, (_, i) => i % 251);
    const blob = encodeTestSet(labels, pixels);
    expect(blob.length).toBe(TEST_SET_HEADER_BYTES + 3 + 3 * 784);
    const back = decodeTestSet(blob.buffer as ArrayBuffer);
    expect(back.count).toBe(3);
    expect([back.rows, back.cols]).toEqual([28, 28]);
    expect(Array.from(back.labels)).toEqual([3, 9, 0]);
    expect(back.pixels).toEqual(pixels);
  });

  it("rejects other bytes and truncated downloads", () => {
    expect(() => decodeTestSet(new TextEncoder().encode("<html>not found</html>").buffer as ArrayBuffer)).toThrow(/expected format/);
    const blob = encodeTestSet(Uint8Array.from([1]), new Uint8Array(784));
    expect(() => decodeTestSet(blob.slice(0, 400).buffer as ArrayBuffer)).toThrow(/truncated/);
    expect(() => encodeTestSet(Uint8Array.from([1, 2]), new Uint8Array(784))).toThrow(/pixel bytes/);
  });
});
