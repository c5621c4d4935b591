import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import cliProgress from "cli-progress";
import { DATASET_FILE_KEYS, DATASET_FILES, OFFICIAL_MIRROR } from "./files";
import { DatasetFileError } from "./idx";
import { verifyBytes } from "./locate";

export interface DownloadOptions {
  mirror?: string;
  /** Show a terminal progress bar (default: when stderr is a TTY). */
  progress?: boolean;
  fetchImpl?: typeof fetch;
}

/** Downloads the four files into dir, verifying each before it gets its final name, so an
 * interrupted or corrupt download never leaves a file that looks complete. */
export async function downloadDataset(dir: string, options: DownloadOptions = {}): Promise<void> {
  const mirror = (options.mirror ?? process.env.FASHION_MNIST_MIRROR ?? OFFICIAL_MIRROR).replace(/\/?$/, "/");
  const doFetch = options.fetchImpl ?? fetch;
  const showProgress = options.progress ?? Boolean(process.stderr.isTTY);
  mkdirSync(dir, { recursive: true });
  const bars = showProgress
    ? new cliProgress.MultiBar(
        { format: " {file} [{bar}] {percentage}% {value}/{total} KiB", hideCursor: true, stream: process.stderr },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  try {
    for (const key of DATASET_FILE_KEYS) {
      const spec = DATASET_FILES[key];
      const url = `${mirror}${spec.name}.gz`;
      const res = await doFetch(url, { signal: AbortSignal.timeout(120_000) });
      if (!res.ok || !res.body) throw new Error(`GET ${url} answered ${res.status} ${res.statusText}`);
      const total = Number(res.headers.get("content-length") ?? 0);
      const bar = bars?.create(Math.max(1, Math.round(total / 1024)), 0, { file: spec.name.padEnd(24) });
      const chunks: Uint8Array[] = [];
      let received = 0;
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        chunks.push(chunk);
        received += chunk.length;
        bar?.update(Math.round(received / 1024));
      }
      const gz = Buffer.concat(chunks);
      const final = join(dir, `${spec.name}.gz`);
      let raw: Uint8Array;
      try {
        raw = gunzipSync(gz);
      } catch (e) {
        throw new DatasetFileError(url, `download is not valid gzip (${(e as Error).message})`);
      }
      verifyBytes(url, raw, spec);
      const tmp = `${final}.${process.pid}.part`;
      try {
        writeFileSync(tmp, gz);
        renameSync(tmp, final);
      } finally {
        rmSync(tmp, { force: true });
      }
    }
  } finally {
    bars?.stop();
  }
}
