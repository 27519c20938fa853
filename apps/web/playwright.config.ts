import { defineConfig, devices } from "@playwright/test";

/**
 * Browser tests against the built dashboard served with a real `berth serve` (see
 * test/e2e/global-setup.ts). Debian's Chromium runs them; `playwright install` is never needed.
 */
const chromium = {
  executablePath: "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
};

export default defineConfig({
  testDir: "test/e2e",
  outputDir: "test-results/playwright",
  globalSetup: "./test/e2e/global-setup.ts",
  // One worker: the machine's two cores also run the server, Postgres and the registry.
  workers: 1,
  fullyParallel: false,
  timeout: 30_000,
  // Containers that other tests on the machine start and stop add and remove network
  // interfaces; Chromium then aborts loads in flight with net::ERR_NETWORK_CHANGED even on
  // loopback. One retry absorbs that without hiding a test that fails twice.
  retries: 1,
  expect: { timeout: 10_000 },
  reporter: [["list"]],
  use: {
    // Set by the global setup, which starts the server on a free port.
    baseURL: process.env.BERTH_WEB_URL,
    headless: true,
    // A stuck step fails after 15 s, so a retry starts early instead of after the test timeout.
    actionTimeout: 15_000,
    navigationTimeout: 15_000,
    launchOptions: chromium,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
  projects: [
    {
      name: "desktop",
      testIgnore: /phone\.spec\.ts/,
      use: {
        ...devices["Desktop Chrome"],
        viewport: { width: 1280, height: 800 },
        channel: undefined,
      },
    },
    {
      name: "phone",
      testMatch: /(screens|phone)\.spec\.ts/,
      use: { ...devices["Pixel 7"], channel: undefined },
    },
  ],
});
