export { createTestDatabase, type TestDatabase, testServerUrl } from "./database.js";
export {
  type AddTagOptions,
  type GiteaStandIn,
  type GiteaStandInOptions,
  startGiteaStandIn,
} from "./gitea-stand-in.js";
export {
  deleteTestTag,
  MEDIA_TYPES,
  type PushImageOptions,
  pushTestImage,
  type TestRegistryCredentials,
} from "./images.js";
export { type Json, type JsonPath, jsonPaths, mutateJson } from "./json-mutation.js";
export {
  type NpmStandIn,
  type NpmStandInOptions,
  type StandInOtherHost,
  type StandInProxyHost,
  startNpmStandIn,
} from "./npm-stand-in.js";
export { type StartPodmanOptions, startPodman, type TestPodman } from "./podman.js";
export {
  type StartPostgresClusterOptions,
  startPostgresCluster,
  type TestPostgresCluster,
} from "./postgres-cluster.js";
export { type StartRegistryOptions, startRegistry, type TestRegistry } from "./registry-server.js";
export { type RowReader, snapshotTables, type TableSnapshot } from "./snapshot.js";
