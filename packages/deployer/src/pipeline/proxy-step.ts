/** Pointing the stage's proxy host at the new instance, after it passed the gate. */
import { stageOwnsProxyHost, updateInstance } from "@berth/store";
import { DeployError } from "../errors.js";
import type { DeployContext } from "./context.js";
import { stageDomain } from "./naming.js";
import type { DeployLog, PipelineDeps } from "./run-deploy.js";

/**
 * Creates the stage's proxy host or updates the one Berth made before; a host for the
 * domain that Berth did not make (or a redirection or dead host) fails the step untouched.
 */
export async function switchProxyHost(
  deps: PipelineDeps,
  context: DeployContext,
  instanceId: string,
  upstream: { host: string; port: number } | undefined,
  made: { proxyHostId?: number },
  log: DeployLog,
): Promise<void> {
  const { stage, project, settings } = context;
  const domain = stageDomain({
    customDomain: stage.customDomain,
    baseDomain: settings.baseDomain,
    pattern: stage.subdomain ?? settings.stageSubdomainPattern,
    stage: stage.name,
    project: project.slug,
  });
  const proxy = deps.proxyFor(context);
  if (!proxy || !domain || !upstream) {
    const missing = !proxy ? "Nginx Proxy Manager" : !domain ? "a domain" : "a container port";
    await log("info", "proxy", `no proxy host: the stage has no ${missing} configured`);
    return;
  }

  const target = {
    forwardScheme: "http" as const,
    forwardHost: upstream.host,
    forwardPort: upstream.port,
  };
  const found = await proxy.findHostByDomain(domain);
  let proxyHostId: number;
  if (!found) {
    const created = await proxy.createProxyHost({ domainNames: [domain], ...target });
    made.proxyHostId = created.id;
    proxyHostId = created.id;
    await log("info", "proxy", `created proxy host ${created.id} for ${domain}`);
  } else if (
    found.kind === "proxy" &&
    (await stageOwnsProxyHost(deps.db, stage.id, found.host.id))
  ) {
    await proxy.updateProxyHost(found.host.id, target);
    proxyHostId = found.host.id;
    await log(
      "info",
      "proxy",
      `switched proxy host ${found.host.id} for ${domain} to ${upstream.host}:${upstream.port}`,
    );
  } else {
    const id = found.kind === "proxy" ? found.host.id : found.id;
    throw new DeployError(
      "proxy",
      `${domain} is already served by Nginx Proxy Manager ${found.kind} host ${id}, which Berth did not create: remove that host or give stage ${stage.name} another domain`,
    );
  }
  await updateInstance(deps.db, instanceId, { proxyHostId, domain });
}
