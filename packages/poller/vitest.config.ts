import { berthVitestConfig } from "@berth/testing/vitest-config";

export default berthVitestConfig();
