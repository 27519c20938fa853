// Shared vitest settings. Plain JavaScript because vitest loads its config through Node,
// before any TypeScript support is in place.
import { defaultClientConditions, defaultServerConditions } from "vite";
import { defineConfig } from "vitest/config";

/** Export condition that maps a workspace package to its TypeScript sources. */
const SOURCE_CONDITION = "@berth/source";

/**
 * Builds the vitest config every Berth package uses: sources of workspace packages instead
 * of their `dist/`, long timeouts because tests talk to real servers, and files run one at
 * a time because two cores are shared with Postgres, the registry and the engine.
 *
 * @param {import("vitest/config").ViteUserConfig["test"]} [test] overrides for `test`
 */
export function berthVitestConfig(test = {}) {
  return defineConfig({
    resolve: { conditions: [SOURCE_CONDITION, ...defaultClientConditions] },
    ssr: { resolve: { conditions: [SOURCE_CONDITION, ...defaultServerConditions] } },
    test: {
      include: ["src/**/*.test.ts", "test/**/*.test.ts"],
      testTimeout: 30_000,
      hookTimeout: 60_000,
      fileParallelism: false,
      ...test,
    },
  });
}
