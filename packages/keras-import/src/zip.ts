import { unzipSync } from "fflate";
import { fail, LIMITS } from "./errors";

export interface KerasArchive {
  config: string;
  metadata: string;
  weights: Uint8Array;
}

const MEMBERS = ["config.json", "metadata.json", "model.weights.h5"] as const;

/** A member name that would land outside the directory it was extracted to (zip slip), were anyone
 * to extract it: absolute, drive-letter, backslash or `..` segments. We never extract to disk, but
 * such an archive is not one Keras writes, so it is refused outright. */
function unsafeName(name: string): boolean {
  return name.startsWith("/") || name.includes("\\") || /^[a-zA-Z]:/.test(name) || name.split("/").some((s) => s === "..") || name.includes("\0");
}

/** Reads the three members of a Keras 3 (or 2.13+) `.keras` zip, checking every entry first. */
export function readKerasArchive(bytes: Uint8Array): KerasArchive {
  const problems: string[] = [];
  let entries = 0;
  let declaredTotal = 0;
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, {
      filter(file) {
        entries++;
        if (unsafeName(file.name)) problems.push(`entry "${file.name}" has a path that escapes the archive`);
        if (file.originalSize > LIMITS.maxFileBytes) problems.push(`entry "${file.name}" declares ${file.originalSize} bytes uncompressed (limit ${LIMITS.maxFileBytes})`);
        declaredTotal += file.originalSize;
        // Decompress only what we read, and nothing at all once the archive is known to be bad.
        return problems.length === 0 && (MEMBERS as readonly string[]).includes(file.name);
      },
    });
  } catch (e) {
    fail(`not a readable .keras archive: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (problems.length > 0) fail(`refused .keras archive: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more problems)` : ""}`);
  if (entries > LIMITS.maxZipEntries) fail(`refused .keras archive: ${entries} entries (limit ${LIMITS.maxZipEntries})`);
  if (declaredTotal > LIMITS.maxFileBytes) fail(`refused .keras archive: ${declaredTotal} bytes uncompressed in all (limit ${LIMITS.maxFileBytes})`);
  for (const m of MEMBERS) if (!files[m]) fail(`not a Keras .keras archive: it has no ${m}`);
  if (files["config.json"].length > LIMITS.maxConfigBytes) fail(`config.json is ${files["config.json"].length} bytes (limit ${LIMITS.maxConfigBytes})`);
  const text = new TextDecoder("utf-8", { fatal: false });
  return { config: text.decode(files["config.json"]), metadata: text.decode(files["metadata.json"]), weights: files["model.weights.h5"] };
}

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}
