// The byte scanner for flat instances gives exactly the float32 pixels JSON.parse gives, and leaves
// every other body (and every error) to the general parser.
import { describe, expect, it } from "vitest";
import { scanFlatInstances } from "./fast-json";
import { MAX_INSTANCES } from "./limits";
import { parseInstances } from "./request";

// A seeded generator: the same values on every run.
function mulberry32(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const bytes = (s: string) => new TextEncoder().encode(s);
const viaJsonParse = (s: string) => new Float32Array((JSON.parse(s).instances as number[][]).flat());

describe("scanFlatInstances", () => {
  it("reads numbers of every precision exactly as JSON.parse does", () => {
    const rand = mulberry32(7);
    const styles: [string, (x: number) => string][] = [
      ["shortest round-trip doubles (p / 255, Math.random())", (x) => String(x)],
      ["fixed decimals", (x) => x.toFixed(Math.floor(rand() * 20))],
      ["exponents", (x) => (x * 1e-3).toExponential(Math.floor(rand() * 18))],
      ["long digit strings", (x) => `${x.toFixed(20)}00000`],
      ["integers 0 and 1", (x) => (x < 0.5 ? "0" : "1")],
      ["tiny values", (x) => String(x * 1e-9)],
    ];
    for (const [name, format] of styles) {
      for (let t = 0; t < 20; t++) {
        const text = `{"instances":[${[0, 1].map(() => `[${Array.from({ length: 784 }, () => format(t % 2 ? Math.floor(rand() * 256) / 255 : rand())).join(",")}]`).join(",")}]}`;
        const got = scanFlatInstances(bytes(text));
        expect(got, name).not.toBeNull();
        const want = viaJsonParse(text);
        const differ = want.findIndex((v, i) => !Object.is(v, got?.input[i]));
        expect(differ, `${name}: pixel ${differ}`).toBe(-1);
        expect(got?.n).toBe(2);
      }
    }
  });

  it("takes JSON whitespace anywhere between tokens", () => {
    const text = ` \n{ "instances" :\t[\r\n [ ${new Array(784).fill("0.5").join(" , ")} ] ]\n} `;
    expect(scanFlatInstances(bytes(text))?.input.every((v) => v === 0.5)).toBe(true);
  });

  it("declines whatever it does not read exactly, so the general parser answers", async () => {
    const row = new Array(784).fill("0.25");
    const declined: [string, string][] = [
      ["another key first", `{"signature_name":"x","instances":[[${row}]]}`],
      ["a 28x28 instance", `{"instances":[[${Array.from({ length: 28 }, () => `[${new Array(28).fill(0)}]`)}]]}`],
      ["b64", '{"instances":[{"b64":"AAAA"}]}'],
      ["a negative pixel", `{"instances":[[-0.1,${row.slice(1)}]]}`],
      ["-0", `{"instances":[[-0,${row.slice(1)}]]}`],
      ["a pixel over 1", `{"instances":[[1.5,${row.slice(1)}]]}`],
      ["0..255 pixels", `{"instances":[[255,${row.slice(1)}]]}`],
      ["NaN", `{"instances":[[NaN,${row.slice(1)}]]}`],
      ["a leading zero", `{"instances":[[01,${row.slice(1)}]]}`],
      ["a bare dot", `{"instances":[[1.,${row.slice(1)}]]}`],
      ["a leading dot", `{"instances":[[.5,${row.slice(1)}]]}`],
      ["a plus sign", `{"instances":[[+0.5,${row.slice(1)}]]}`],
      ["783 numbers", `{"instances":[[${row.slice(1)}]]}`],
      ["785 numbers", `{"instances":[[${row},0]]}`],
      ["a trailing comma", `{"instances":[[${row}],]}`],
      ["no instances", '{"instances":[]}'],
      ["trailing garbage", `{"instances":[[${row}]]}x`],
      ["a second key after", `{"instances":[[${row}]],"x":1}`],
      ["a string pixel", `{"instances":[["0.5",${row.slice(1)}]]}`],
      ["truncated", `{"instances":[[${row}]`],
      ["a byte-order mark", `\uFEFF{"instances":[[${row}]]}`],
      [`${MAX_INSTANCES + 1} instances`, `{"instances":[${new Array(MAX_INSTANCES + 1).fill(`[${row}]`)}]}`],
    ];
    for (const [name, text] of declined) expect(scanFlatInstances(bytes(text)), name).toBeNull();
    // The general parser still reads the valid ones among them.
    expect((await parseInstances(bytes(declined[0][1]))).n).toBe(1);
    expect((await parseInstances(bytes(declined[4][1]))).input[0]).toBe(-0);
  });

  it("gives each request its own array (the scratch space is reused)", () => {
    const a = scanFlatInstances(bytes(`{"instances":[[${new Array(784).fill(0.5)}]]}`));
    const b = scanFlatInstances(bytes(`{"instances":[[${new Array(784).fill(1)}]]}`));
    expect(a?.input[0]).toBe(0.5);
    expect(b?.input[0]).toBe(1);
    expect(a?.input.length).toBe(784);
  });
});
