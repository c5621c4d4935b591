// Turning a file into RGBA pixels inside the worker, refusing what would hurt: files that are not
// pictures, pictures that do not decode, and pictures so large that decoding them would exhaust
// memory. Pictures are decoded at most MAX_SIDE pixels on their long side: the model sees 28x28.
import { ClassifyError } from "./protocol";
import { claimsToBeImage, type ImageFormat, sniffImage } from "./sniff";

export const MAX_FILE_BYTES = 50 * 1024 * 1024;
/** 50 megapixels: a 7000x7000 picture decodes (~200 MB RGBA); 20000x20000 (1.6 GB) is refused. */
export const MAX_PIXELS = 50_000_000;
export const MAX_SIDE = 1024;

const FORMAT_NAMES: Record<ImageFormat, string> = { png: "PNG", jpeg: "JPEG", webp: "WebP", gif: "GIF", bmp: "BMP", avif: "AVIF" };

export interface Decoded {
  bitmap: ImageBitmap;
  /** The picture's own size (before any downscale). */
  width: number;
  height: number;
  downscaled: boolean;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

function tooLarge(name: string, width: number, height: number): ClassifyError {
  const mp = (width * height) / 1e6;
  return new ClassifyError(
    "too-large",
    `"${name}" is ${width}×${height} pixels (${mp >= 10 ? mp.toFixed(0) : mp.toFixed(1)} megapixels), more than the ${MAX_PIXELS / 1e6} megapixels this page decodes. Scale it down and try again.`,
  );
}

function fitted(width: number, height: number) {
  const s = Math.min(1, MAX_SIDE / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * s)), height: Math.max(1, Math.round(height * s)), scaled: s < 1 };
}

export async function decodeImage(file: Blob, name: string): Promise<Decoded> {
  if (file.size === 0) throw new ClassifyError("not-image", `"${name}" is empty: there is no picture in it.`);
  if (file.size > MAX_FILE_BYTES) throw new ClassifyError("too-large", `"${name}" is ${mb(file.size)}; the limit is ${mb(MAX_FILE_BYTES)}. Use a smaller picture.`);
  // 256 KB covers the headers of every format sniffed, JPEG metadata included.
  const head = new Uint8Array(await file.slice(0, 256 * 1024).arrayBuffer());
  const sniffed = sniffImage(head);
  if (!sniffed.format) {
    if (/svg/i.test(file.type) || /\.svg$/i.test(name)) {
      throw new ClassifyError("not-image", `"${name}" is an SVG drawing; export it as PNG, JPEG or WebP first.`);
    }
    if (!claimsToBeImage(name, file.type)) {
      throw new ClassifyError("not-image", `"${name}" is not an image${file.type ? ` (${file.type})` : ""}. Choose a PNG, JPEG or WebP picture.`);
    }
  }
  if (sniffed.width !== null && sniffed.height !== null) {
    if (sniffed.width === 0 || sniffed.height === 0) throw corrupt(name, sniffed.format);
    if (sniffed.width * sniffed.height > MAX_PIXELS) throw tooLarge(name, sniffed.width, sniffed.height);
  }

  let bitmap: ImageBitmap;
  try {
    if (sniffed.width !== null && sniffed.height !== null) {
      const size = fitted(sniffed.width, sniffed.height);
      bitmap = size.scaled
        ? await createImageBitmap(file, { resizeWidth: size.width, resizeHeight: size.height, resizeQuality: "high" })
        : await createImageBitmap(file);
    } else {
      bitmap = await createImageBitmap(file);
    }
  } catch {
    throw corrupt(name, sniffed.format);
  }
  const width = sniffed.width ?? bitmap.width;
  const height = sniffed.height ?? bitmap.height;
  if (sniffed.width === null) {
    // The size was not in the header: check what came out of the decoder.
    if (bitmap.width * bitmap.height > MAX_PIXELS) {
      bitmap.close();
      throw tooLarge(name, width, height);
    }
    const size = fitted(bitmap.width, bitmap.height);
    if (size.scaled) {
      const small = await createImageBitmap(bitmap, { resizeWidth: size.width, resizeHeight: size.height, resizeQuality: "high" });
      bitmap.close();
      bitmap = small;
    }
  }
  return { bitmap, width, height, downscaled: bitmap.width !== width || bitmap.height !== height };
}

function corrupt(name: string, format: ImageFormat | null): ClassifyError {
  return new ClassifyError(
    "corrupt",
    format
      ? `"${name}" could not be decoded: it starts like a ${FORMAT_NAMES[format]} file, but its data is corrupt or truncated.`
      : `"${name}" could not be decoded: it is named like an image, but its contents are not a picture this browser can read (corrupt, or an unsupported format).`,
  );
}

/** The bitmap's RGBA pixels. */
export function pixelsOf(bitmap: ImageBitmap): ImageData {
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  if (!ctx) throw new ClassifyError("internal", "this browser gives workers no 2D canvas to read pixels with");
  ctx.drawImage(bitmap, 0, 0);
  return ctx.getImageData(0, 0, bitmap.width, bitmap.height);
}
