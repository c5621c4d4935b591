/**
 * `pnpm bench`: training and inference throughput of the reference CNN on every tfjs backend that
 * is available here (each in its own process, so each gets a clean backend and its own peak RSS).
 *
 *   pnpm bench [-- --batches 40] [-- --with-cpu]
 *
 * The pure-JS cpu backend trains this CNN at ~1-2 img/s; it is measured on one batch only with --with-cpu.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { selectBackend } from "@fmnist/backends";

const { values: opts } = parseArgs({
  options: { batches: { type: "string", default: "40" }, "with-cpu": { type: "boolean", default: false } },
  allowPositionals: true,
});
const script = fileURLToPath(new URL("./train-bench.ts", import.meta.url));

const candidates = ["tensorflow-gpu", "tensorflow", "native", "wasm", ...(opts["with-cpu"] ? ["cpu"] : [])] as const;
const rows: Record<string, unknown>[] = [];
for (const backend of candidates) {
  if (backend === "tensorflow-gpu" || backend === "tensorflow" || backend === "native") {
    // Only measure what loads here; the reason is printed otherwise.
    const available = await selectBackend(backend).then(
      () => true,
      (e: Error) => {
        console.log(`${backend}: not available (${e.message.split("\n")[0]})`);
        return false;
      },
    );
    if (!available) continue;
  }
  const small = backend === "cpu";
  const args = ["--import", "tsx", script, "--backend", backend, "--json", "--profile", "0"];
  args.push(...(small ? ["--batches", "1", "--warmup", "0", "--predict-batches", "1"] : ["--batches", opts.batches!]));
  console.log(`\n== ${backend} ==`);
  const r = spawnSync(process.execPath, args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  process.stdout.write(r.stdout.replace(/^BENCH_JSON .*$/m, ""));
  const line = r.stdout.split("\n").find((l) => l.startsWith("BENCH_JSON "));
  if (line) rows.push(JSON.parse(line.slice("BENCH_JSON ".length)));
  else console.log(`${backend}: failed (exit ${r.status})`);
}

console.log("\nreference-cnn, batch 64 training / batch 256 inference");
console.log("backend     train img/s  (per CPU-second)  infer img/s  peak RSS");
for (const r of rows as { backend: string; trainImgPerSec: number; trainImgPerCpuSec: number; inferImgPerSec: number; peakRssMiB: number }[]) {
  console.log(
    `${r.backend.padEnd(11)} ${r.trainImgPerSec.toFixed(1).padStart(11)}  ${r.trainImgPerCpuSec.toFixed(1).padStart(16)}  ${r.inferImgPerSec.toFixed(0).padStart(11)}  ${r.peakRssMiB.toFixed(0).padStart(5)} MiB`,
  );
}
