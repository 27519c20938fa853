import type { ViteUserConfig } from "vitest/config";

export function berthVitestConfig(test?: ViteUserConfig["test"]): ViteUserConfig;
