/** The addon stays optional: a machine without oneDNN installs fine and gets a reason, not a crash. */
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it, vi } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

describe("optional native addon", () => {
  it("install script exits 0 with a how-to note when oneDNN is missing", () => {
    const r = spawnSync(process.execPath, [join(root, "scripts", "install.cjs")], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, FMNIST_NATIVE_CPU_DNNL_INCLUDE: "/nonexistent-include-dir" },
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("native addon not built");
    expect(r.stdout).toContain("libdnnl-dev");
  });

  it("install script exits 0 when skipped", () => {
    const r = spawnSync(process.execPath, [join(root, "scripts", "install.cjs")], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, FMNIST_NATIVE_CPU_SKIP: "1" },
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("FMNIST_NATIVE_CPU_SKIP=1");
  });

  it("registerNativeBackend resolves { ok: false, reason } when the addon is missing", async () => {
    vi.resetModules();
    vi.stubEnv("FMNIST_NATIVE_CPU_ADDON", "/nonexistent/native_cpu.node");
    try {
      const { registerNativeBackend } = await import("../src/native/index");
      const r = await registerNativeBackend();
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.reason).toContain("not built");
        expect(r.reason).toContain("build:native");
      }
    } finally {
      vi.unstubAllEnvs();
      vi.resetModules();
    }
  });
});
