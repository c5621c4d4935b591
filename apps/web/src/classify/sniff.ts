// What a file is, from its first bytes rather than its name, and how big the picture is, from its
// header, before anything decodes it: a 20000x20000 PNG is a few hundred KB on disk but 1.6 GB of
// pixels, and decoding it would take the tab down.

export type ImageFormat = "png" | "jpeg" | "webp" | "gif" | "bmp" | "avif";

export interface Sniffed {
  format: ImageFormat | null;
  /** From the header when the format has it within the bytes given; null when unknown. */
  width: number | null;
  height: number | null;
}

const ascii = (b: Uint8Array, at: number, len: number) => String.fromCharCode(...b.subarray(at, at + len));

export function sniffImage(b: Uint8Array): Sniffed {
  const none = { width: null, height: null };
  const be32 = (at: number) => (b[at] * 2 ** 24 + (b[at + 1] << 16) + (b[at + 2] << 8) + b[at + 3]) >>> 0;
  const be16 = (at: number) => (b[at] << 8) | b[at + 1];
  const le16 = (at: number) => b[at] | (b[at + 1] << 8);
  const le24 = (at: number) => b[at] | (b[at + 1] << 8) | (b[at + 2] << 16);

  if (b.length >= 8 && b[0] === 0x89 && ascii(b, 1, 3) === "PNG" && b[4] === 0x0d && b[5] === 0x0a && b[6] === 0x1a && b[7] === 0x0a) {
    // IHDR is always the first chunk.
    return b.length >= 24 && ascii(b, 12, 4) === "IHDR" ? { format: "png", width: be32(16), height: be32(20) } : { format: "png", ...none };
  }
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) {
    // Walk the segments up to the first start-of-frame (SOF0..SOF15 but DHT, JPG, DAC).
    let at = 2;
    while (at + 9 < b.length) {
      if (b[at] !== 0xff) break;
      const marker = b[at + 1];
      if (marker === 0xff) {
        at++;
        continue;
      }
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { format: "jpeg", height: be16(at + 5), width: be16(at + 7) };
      }
      if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
        at += 2;
        continue;
      }
      at += 2 + be16(at + 2);
    }
    return { format: "jpeg", ...none };
  }
  if (b.length >= 12 && ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 4) === "WEBP") {
    const chunk = ascii(b, 12, 4);
    if (chunk === "VP8 " && b.length >= 30) return { format: "webp", width: le16(26) & 0x3fff, height: le16(28) & 0x3fff };
    if (chunk === "VP8L" && b.length >= 25) {
      return { format: "webp", width: 1 + (((b[22] & 0x3f) << 8) | b[21]), height: 1 + (((b[24] & 0x0f) << 10) | (b[23] << 2) | ((b[22] & 0xc0) >> 6)) };
    }
    if (chunk === "VP8X" && b.length >= 30) return { format: "webp", width: 1 + le24(24), height: 1 + le24(27) };
    return { format: "webp", ...none };
  }
  if (b.length >= 10 && (ascii(b, 0, 6) === "GIF87a" || ascii(b, 0, 6) === "GIF89a")) return { format: "gif", width: le16(6), height: le16(8) };
  if (b.length >= 26 && ascii(b, 0, 2) === "BM") {
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    return { format: "bmp", width: Math.abs(dv.getInt32(18, true)), height: Math.abs(dv.getInt32(22, true)) };
  }
  if (b.length >= 12 && ascii(b, 4, 4) === "ftyp" && ["avif", "avis"].includes(ascii(b, 8, 4))) return { format: "avif", ...none };
  return { format: null, ...none };
}

/** Whether the name or MIME type says "image" (to tell a corrupt picture from some other file). */
export function claimsToBeImage(name: string, type: string): boolean {
  return type.startsWith("image/") || /\.(png|jpe?g|jfif|webp|gif|bmp|avif|ico|tiff?)$/i.test(name);
}
