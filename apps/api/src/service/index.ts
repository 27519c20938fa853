export { missingDockerClient } from "./missing-docker.js";
export { findStagesTracking, imageOf, pushHandler, type StageChecker } from "./push.js";
export { type Service, type ServiceOptions, startService } from "./service.js";
