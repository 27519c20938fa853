export { createTestDatabase, type TestDatabase, testServerUrl } from "./database.js";
export { type StartPodmanOptions, startPodman, type TestPodman } from "./podman.js";
