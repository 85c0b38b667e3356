// `npm start` runs this first: it compiles src/ to dist/ when dist/ is missing or older
// than any source file, so a fresh checkout starts with one command.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const stamp = join(root, "dist", "cli.js");

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

const sources = Math.max(newestMtime(join(root, "src")), statSync(join(root, "tsconfig.json")).mtimeMs);
if (!existsSync(stamp) || statSync(stamp).mtimeMs < sources) {
  process.stderr.write("realtime-edge: compiling TypeScript (dist/ is missing or stale)\n");
  execFileSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", join(root, "tsconfig.json")], { stdio: "inherit", cwd: root });
}
