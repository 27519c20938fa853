import { berthVitestConfig } from "@berth/testing/vitest-config";

// Unit tests of the dashboard's plain TypeScript; the browser flows run under Playwright.
export default berthVitestConfig({ include: ["src/**/*.test.ts", "server/**/*.test.ts"] });
