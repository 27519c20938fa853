import { berthVitestConfig } from "@berth/testing/vitest-config";

// One file walks the whole flow step by step, so a step may wait for real deploys.
export default berthVitestConfig({ testTimeout: 90_000, hookTimeout: 120_000 });
