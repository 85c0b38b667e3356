import { defineConfig } from "vitest/config";

// End-to-end files start real clusters on a 2-core machine: run the files one at a time
// and give every wait a generous bound, so the suite is green every time.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    fileParallelism: false,
    pool: "forks",
    testTimeout: 90_000,
    hookTimeout: 90_000,
    teardownTimeout: 30_000,
    reporters: ["default"],
  },
});
