// pm2 process file: `npx pm2 start ecosystem.config.js`.
//
// pm2 runs the primary only (fork mode, one instance); the primary forks one worker per
// core itself, so do not use pm2's cluster mode or `instances` here. `pm2 stop` sends
// SIGINT, which drains like SIGTERM; kill_timeout gives the drain time to finish before
// pm2 resorts to SIGKILL. Settings come from the environment pm2 is started in (PORT,
// WORKERS, API_KEY, ...; see the README), with the server's own defaults otherwise.
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL(".", import.meta.url));
// A fresh checkout has no dist/ yet: compile it first, as `npm start` does.
execFileSync(process.execPath, ["scripts/build-if-needed.mjs"], { cwd: root, stdio: "inherit" });
// The server's own list of settings, so every variable it reads is passed on (require of an
// ES module: this file must stay synchronous for pm2, and dist/ exists only from here on).
const { SETTINGS } = createRequire(import.meta.url)("./dist/config.js");

const drainTimeoutMs = Number(process.env.DRAIN_TIMEOUT_MS ?? 10_000);

// Named export: pm2 loads this file with require(), which (Node 20.19+) returns the ESM
// module's namespace, so `apps` must be a named export, not only the default's field.
export const apps = [
    {
      name: process.env.PM2_APP_NAME ?? "realtime-edge",
      cwd: root,
      script: "dist/cli.js",
      exec_mode: "fork",
      instances: 1,
      autorestart: true,
      kill_timeout: (Number.isFinite(drainTimeoutMs) ? drainTimeoutMs : 10_000) + 5_000,
      // Forward only the server's own settings; pm2 adds the rest of its environment.
      env: Object.fromEntries(
        SETTINGS.map((setting) => setting.env)
          .filter((name) => process.env[name] !== undefined)
          .map((name) => [name, process.env[name]]),
      ),
    },
];

export default { apps };
