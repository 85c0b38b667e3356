// Loads the real uWebSockets.js binary or says why it cannot.
//
// The pinned package (an npm alias of @trufflesuite/uws-js-unofficial) silently falls back
// to a JavaScript imitation when its binary does not load, and that imitation is neither
// fast nor complete. So we never import the package's entry point to decide: we load the
// binary for this platform and ABI ourselves, and only if that works is the engine `uws`.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { existsSync } from "node:fs";
import type * as uws from "uWebSockets.js";

export type Uws = typeof uws;

export type UwsLoad = { ok: true; uws: Uws; binary: string } | { ok: false; reason: string };

const require = createRequire(import.meta.url);

let cached: UwsLoad | undefined;

export function loadNativeUws(): UwsLoad {
  if (cached) return cached;
  cached = tryLoad();
  return cached;
}

function tryLoad(): UwsLoad {
  let packageDir: string;
  try {
    packageDir = dirname(require.resolve("uWebSockets.js/package.json"));
  } catch {
    return { ok: false, reason: "the uWebSockets.js package is not installed (run npm ci)" };
  }
  const file = `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
  const binary = join(packageDir, "binaries", file);
  if (!existsSync(binary)) {
    return {
      ok: false,
      reason: `no uWebSockets.js binary for ${process.platform}-${process.arch} with Node ABI ${process.versions.modules} (Node ${process.versions.node}); the pinned build ships Node 16/18/20 binaries`,
    };
  }
  try {
    const native = require(binary) as Uws & { getParts?: unknown };
    if (typeof native.App !== "function" || typeof native.getParts !== "function") {
      return { ok: false, reason: `${file} loaded but does not look like uWebSockets.js` };
    }
    return { ok: true, uws: native, binary };
  } catch (err) {
    return { ok: false, reason: `${file} failed to load: ${(err as Error).message.split("\n")[0]}` };
  }
}
