export { createDockerClient, type DockerClientOptions } from "./docker/client.js";
export type { DockerTls } from "./docker/connection.js";
export { encodeRegistryAuth, type RegistryAuth } from "./docker/registry-auth.js";
export type {
  ContainerSpec,
  ContainerState,
  ContainerSummary,
  DockerClient,
  ImageHealthcheck,
  ImageInfo,
} from "./docker/types.js";
export {
  DEPLOY_STEPS,
  DeployError,
  type DeployStep,
  DockerError,
  OperationError,
  ProxyError,
} from "./errors.js";
export {
  approveDeploy,
  cancelDeploy,
  deployTag,
  type InstanceOperationDeps,
  promote,
  redeploy,
  rejectDeploy,
  removeInstance,
  restartInstance,
  rollback,
  startInstance,
  stopInstance,
} from "./operations.js";
export { checkAllowed as checkVolumeSource } from "./pipeline/container-spec.js";
export { containerName, LABELS, stageDomain, subdomain } from "./pipeline/naming.js";
export { type DeployEvent, signBody } from "./pipeline/notify.js";
export {
  createProxyManagerClient,
  type DomainHost,
  type ProxyHost,
  type ProxyHostInput,
  type ProxyManagerClient,
  type ProxyManagerClientOptions,
} from "./proxy/client.js";
export { createDeployWorker, type DeployWorker, type DeployWorkerOptions } from "./worker.js";
