export { createTestDatabase, type TestDatabase, testServerUrl } from "./database.js";
export { type StartPodmanOptions, startPodman, type TestPodman } from "./podman.js";
export {
  deleteTestTag,
  MEDIA_TYPES,
  type PushImageOptions,
  pushTestImage,
  type TestRegistryCredentials,
} from "./images.js";
export { type StartRegistryOptions, startRegistry, type TestRegistry } from "./registry-server.js";
