import { berthVitestConfig } from "@berth/testing/vitest-config";

// The benchmark runs as one vitest file, so it reads workspace sources like the tests do.
export default berthVitestConfig({
  include: ["bench/**/*.bench.ts"],
  testTimeout: 180_000,
  hookTimeout: 180_000,
});
