#!/usr/bin/env node
// Builds the optional native addon (build/Release/native_cpu.node) at install time.
//
// It never fails the install: when oneDNN (libdnnl-dev) or a C++ toolchain is missing, or the
// compile fails, it prints a note and exits 0; the trainer then uses the wasm backend.
// Set FMNIST_NATIVE_CPU_SKIP=1 to skip the build. An up-to-date build (same sources, Node ABI and
// oneDNN headers; see build/stamp.json) is kept. `pnpm --filter @fmnist/backends build:native`
// rebuilds it (with the compiler output shown).
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const verbose = process.argv.includes("--verbose") || !!process.env.FMNIST_NATIVE_CPU_VERBOSE;
const out = path.join(root, "build", "Release", "native_cpu.node");
const HOW = "install oneDNN and a C++ compiler (Debian/Ubuntu: apt-get install -y libdnnl-dev g++ make python3), then run `pnpm --filter @fmnist/backends build:native`";

function note(msg) {
  console.log(`@fmnist/backends: ${msg}`);
}

function skip(reason) {
  note(`native addon not built (${reason}); training falls back to the wasm backend. To enable it: ${HOW}`);
  process.exit(0);
}

if (process.env.FMNIST_NATIVE_CPU_SKIP === "1") skip("FMNIST_NATIVE_CPU_SKIP=1");
if (process.platform !== "linux" && process.platform !== "darwin") skip(`unsupported platform ${process.platform}`);

// oneDNN headers: the system include dirs or CPATH / CPLUS_INCLUDE_PATH (FMNIST_NATIVE_CPU_DNNL_INCLUDE
// replaces the search, for tests).
const includeDirs = process.env.FMNIST_NATIVE_CPU_DNNL_INCLUDE
  ? [process.env.FMNIST_NATIVE_CPU_DNNL_INCLUDE]
  : ["/usr/include", "/usr/local/include", "/opt/homebrew/include"].concat(
      `${process.env.CPATH ?? ""}:${process.env.CPLUS_INCLUDE_PATH ?? ""}`.split(":").filter(Boolean),
    );
if (!includeDirs.some((d) => fs.existsSync(path.join(d, "oneapi", "dnnl", "dnnl.hpp")))) {
  skip("oneDNN headers (oneapi/dnnl/dnnl.hpp) not found");
}

// Node's headers: a configured nodedir, or the ones installed next to this node binary (Debian's
// nodejs ships them in /usr/include/node), so node-gyp never has to download them.
const prefix = path.resolve(path.dirname(process.execPath), "..");
const localHeaders = fs.existsSync(path.join(prefix, "include", "node", "node_api.h")) ? prefix : undefined;
const nodedir = process.env.npm_config_nodedir || localHeaders;

function run(cmd, args, timeoutMs) {
  if (verbose) note(`$ ${cmd} ${args.join(" ")}`);
  const r = spawnSync(cmd, args, { cwd: root, encoding: "utf8", timeout: timeoutMs, env: process.env });
  const text = `${r.stdout ?? ""}${r.stderr ?? ""}`;
  if (verbose && text) process.stdout.write(text);
  return { ok: r.status === 0, text: r.error ? `${r.error.message}\n${text}` : text };
}

function findNodeGyp() {
  const candidates = [process.env.npm_config_node_gyp];
  if (process.env.npm_execpath) {
    // pnpm and npm bundle node-gyp next to their own entry point.
    let dir = path.dirname(process.env.npm_execpath);
    for (let i = 0; i < 4; i++, dir = path.dirname(dir)) {
      candidates.push(path.join(dir, "node_modules", "node-gyp", "bin", "node-gyp.js"));
      candidates.push(path.join(dir, "dist", "node_modules", "node-gyp", "bin", "node-gyp.js"));
    }
  }
  for (const pm of ["npm", "pnpm"]) {
    candidates.push(path.join(prefix, "lib", "node_modules", pm, "node_modules", "node-gyp", "bin", "node-gyp.js"));
    candidates.push(path.join(prefix, "lib", "node_modules", pm, "dist", "node_modules", "node-gyp", "bin", "node-gyp.js"));
  }
  return candidates.find((c) => c && fs.existsSync(c) && c.endsWith(".js"));
}

// Every `pnpm install` runs this script: skip the compile when the addon was built from the same
// sources, for the same Node ABI and oneDNN headers, and still loads.
const crypto = require("node:crypto");
const stampPath = path.join(root, "build", "stamp.json");
function stamp() {
  const h = crypto.createHash("sha256");
  for (const f of ["addon/native_cpu.cc", "addon/modes.h", "binding.gyp", "scripts/install.cjs"]) h.update(fs.readFileSync(path.join(root, f)));
  for (const d of includeDirs) {
    const v = path.join(d, "oneapi", "dnnl", "dnnl_version.h");
    if (fs.existsSync(v)) {
      h.update(fs.readFileSync(v));
      break;
    }
  }
  return { sources: h.digest("hex"), abi: process.versions.modules, node: process.version };
}

/** Loads the built addon in a child process: catches a missing libdnnl.so at run time. */
function loads() {
  const r = run(process.execPath, ["-e", `const a=require(${JSON.stringify(out)});console.log(a.version())`], 30000);
  if (r.ok) note(`built ${path.relative(root, out)}: ${r.text.trim()}`);
  return r;
}

const wanted = stamp();
if (!process.argv.includes("--force") && !process.argv.includes("--verbose") && fs.existsSync(out)) {
  try {
    const have = JSON.parse(fs.readFileSync(stampPath, "utf8"));
    if (have.sources === wanted.sources && have.abi === wanted.abi) {
      const r = run(process.execPath, ["-e", `const a=require(${JSON.stringify(out)});console.log(a.version())`], 30000);
      if (r.ok) {
        note(`up to date (${path.relative(root, out)}: ${r.text.trim()}); \`pnpm --filter @fmnist/backends build:native\` rebuilds`);
        process.exit(0);
      }
    }
  } catch {
    // no or unreadable stamp: build
  }
}
const built = () => fs.writeFileSync(stampPath, `${JSON.stringify(wanted)}\n`);

const started = Date.now();
let failure = "";
const gyp = findNodeGyp();
if (gyp) {
  const args = [gyp, "rebuild", "--release"];
  if (nodedir) args.push(`--nodedir=${nodedir}`);
  const r = run(process.execPath, args, 240000);
  if (r.ok && fs.existsSync(out)) {
    const l = loads();
    if (l.ok) {
      built();
      process.exit(0);
    }
    failure = `built but does not load: ${l.text.trim().split("\n").slice(-3).join(" | ")}`;
  } else {
    failure = `node-gyp failed: ${r.text.trim().split("\n").slice(-6).join(" | ")}`;
  }
}

// Fallback: compile directly with the C++ compiler (no node-gyp, needs Node's headers).
if (localHeaders || nodedir) {
  const inc = path.join(nodedir || localHeaders, "include", "node");
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const cxx = process.env.CXX || "g++";
  const r = run(
    cxx,
    ["-std=c++17", "-O3", "-ffp-contract=off", "-fno-math-errno", "-fPIC", "-shared", "-fopenmp", `-I${inc}`, "addon/native_cpu.cc", "-o", out, "-ldnnl"],
    240000,
  );
  if (r.ok) {
    const l = loads();
    if (l.ok) {
      built();
      process.exit(0);
    }
    failure += ` ; direct compile built but does not load: ${l.text.trim().split("\n").slice(-3).join(" | ")}`;
  } else {
    failure += ` ; direct ${cxx} compile failed: ${r.text.trim().split("\n").slice(-6).join(" | ")}`;
  }
} else if (!gyp) {
  failure = "neither node-gyp nor Node's headers found";
}
fs.rmSync(out, { force: true });
fs.rmSync(stampPath, { force: true });
skip(`${failure.trim()} (after ${((Date.now() - started) / 1000).toFixed(0)} s)`);
