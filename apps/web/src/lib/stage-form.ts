/**
 * The stage editor's form state, and its conversion from and to the API's stage body.
 * Numbers stay strings while they are edited so a half-typed value is not lost.
 */
import { buildPolicy } from "./preview.js";
import type { RestartPolicy, Stage, TagPolicy, VolumeKind } from "./types.js";
import { type StageForm, splitPatterns } from "./validation.js";

export interface EnvRow {
  key: string;
  value: string;
  secret: boolean;
  /** A stored secret: its value is write-only, so the row shows only that it is set. */
  storedSecret: boolean;
}

export interface VolumeRow {
  kind: VolumeKind;
  source: string;
  target: string;
  readOnly: boolean;
}

export interface StageFormState {
  name: string;
  include: string;
  exclude: string;
  policyKind: TagPolicy["kind"];
  range: string;
  allowPrerelease: boolean;
  extract: string;
  autoDeploy: boolean;
  promoteFromStageId: string;
  containerPort: string;
  healthEnabled: boolean;
  healthPath: string;
  healthStatus: string;
  healthInterval: string;
  healthTimeout: string;
  subdomain: string;
  customDomain: string;
  maxInstances: string;
  restartPolicy: RestartPolicy;
  notificationUrl: string;
  env: EnvRow[];
  volumes: VolumeRow[];
}

export function emptyStageForm(): StageFormState {
  return {
    name: "",
    include: "",
    exclude: "",
    policyKind: "semver",
    range: "",
    allowPrerelease: false,
    extract: "",
    autoDeploy: true,
    promoteFromStageId: "",
    containerPort: "",
    healthEnabled: false,
    healthPath: "/",
    healthStatus: "200",
    healthInterval: "5",
    healthTimeout: "3",
    subdomain: "",
    customDomain: "",
    maxInstances: "1",
    restartPolicy: "unless-stopped",
    notificationUrl: "",
    env: [],
    volumes: [],
  };
}

export function stageToForm(stage: Stage): StageFormState {
  const policy = stage.policy;
  return {
    ...emptyStageForm(),
    name: stage.name,
    include: stage.tagInclude.join("\n"),
    exclude: stage.tagExclude.join("\n"),
    policyKind: policy.kind,
    range: policy.kind === "semver" ? (policy.range ?? "") : "",
    allowPrerelease: policy.kind === "semver" ? (policy.allowPrerelease ?? false) : false,
    extract: policy.kind === "numeric" ? (policy.extract ?? "") : "",
    autoDeploy: stage.autoDeploy,
    promoteFromStageId: stage.promoteFromStageId ?? "",
    containerPort: stage.containerPort === null ? "" : String(stage.containerPort),
    healthEnabled: stage.healthCheck !== null,
    healthPath: stage.healthCheck?.path ?? "/",
    healthStatus: String(stage.healthCheck?.expectedStatus ?? 200),
    healthInterval: String(stage.healthCheck?.intervalSeconds ?? 5),
    healthTimeout: String(stage.healthCheck?.timeoutSeconds ?? 3),
    subdomain: stage.subdomain ?? "",
    customDomain: stage.customDomain ?? "",
    maxInstances: String(stage.maxInstances),
    restartPolicy: stage.restartPolicy,
    notificationUrl: stage.notificationUrl ?? "",
    env: stage.env.map((entry) => ({
      key: entry.key,
      value: entry.value ?? "",
      secret: entry.secret,
      storedSecret: entry.secret,
    })),
    volumes: stage.volumes.map((volume) => ({ ...volume })),
  };
}

export function policyOf(form: StageFormState): TagPolicy {
  return buildPolicy({
    kind: form.policyKind,
    range: form.range,
    allowPrerelease: form.allowPrerelease,
    extract: form.extract,
  });
}

/** Collects the fields that `validateStage` checks. */
export function validationInput(form: StageFormState): StageForm {
  return {
    name: form.name,
    tagInclude: splitPatterns(form.include),
    tagExclude: splitPatterns(form.exclude),
    policy: policyOf(form),
    containerPort: form.containerPort,
    maxInstances: form.maxInstances,
    healthPath: form.healthEnabled ? form.healthPath : "",
    notificationUrl: form.notificationUrl,
    env: form.env,
    volumes: form.volumes,
  };
}

const orNull = (text: string) => (text.trim() === "" ? null : text.trim());

export interface StageBodyOptions {
  /** Whether the body carries `env`, which replaces the stage's whole set of variables. */
  includeEnv: boolean;
  /** Whether the body carries `notificationUrl`, which only admins may change. */
  includeNotificationUrl: boolean;
}

/**
 * Builds the request body. `env` and `volumes` replace the whole set on the API, so `env`
 * is sent only when `includeEnv` is set. A stored secret that was not typed again cannot be
 * sent, so the caller reports it at its row instead. Without `includeNotificationUrl` the
 * body leaves the stored URL as it is.
 */
export function formToBody(
  form: StageFormState,
  options: StageBodyOptions,
): Record<string, unknown> {
  const body: Record<string, unknown> = {
    name: form.name,
    tagInclude: splitPatterns(form.include),
    tagExclude: splitPatterns(form.exclude),
    policy: policyOf(form),
    autoDeploy: form.autoDeploy,
    promoteFromStageId: orNull(form.promoteFromStageId),
    containerPort: form.containerPort.trim() === "" ? null : Number(form.containerPort),
    healthCheck: form.healthEnabled
      ? {
          path: form.healthPath,
          expectedStatus: Number(form.healthStatus),
          intervalSeconds: Number(form.healthInterval),
          timeoutSeconds: Number(form.healthTimeout),
        }
      : null,
    subdomain: orNull(form.subdomain),
    customDomain: orNull(form.customDomain),
    maxInstances: Number(form.maxInstances),
    restartPolicy: form.restartPolicy,
    volumes: form.volumes.map((volume) => ({ ...volume })),
  };
  if (options.includeNotificationUrl) {
    body.notificationUrl = orNull(form.notificationUrl);
  }
  if (options.includeEnv) {
    body.env = form.env.map((entry) => ({
      key: entry.key,
      value: entry.value,
      secret: entry.secret,
    }));
  }
  return body;
}

/** Stored secrets left empty while the env set is being replaced, by row index. */
export function untypedSecrets(form: StageFormState): number[] {
  return form.env.flatMap((entry, index) =>
    entry.storedSecret && entry.value === "" ? [index] : [],
  );
}
