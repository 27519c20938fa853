/** Pointing the stage's proxy host at the new instance, after it passed the gate. */
import { instances, stageOwnsProxyHost, updateInstance } from "@berth/store";
import { and, eq } from "drizzle-orm";
import { DeployError, messageOf } from "../errors.js";
import type { ProxyHost, ProxyManagerClient } from "../proxy/client.js";
import type { DeployContext } from "./context.js";
import { stageDomain, subdomain } from "./naming.js";
import type { DeployLog, PipelineDeps } from "./run-deploy.js";

/**
 * Creates the stage's proxy host or updates the one Berth made before. A host for the
 * domain that Berth did not make, or a redirection or dead host, fails the step untouched.
 * The host's id is recorded on the instance, so later deploys know the host as Berth's.
 */
export async function switchProxyHost(
  deps: PipelineDeps,
  context: DeployContext,
  instanceId: string,
  upstream: { host: string; port: number } | undefined,
  createdHosts: { proxyHostId?: number; tagProxyHostId?: number },
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
    let missing = "a container port";
    if (!proxy) {
      missing = "Nginx Proxy Manager";
    } else if (!domain) {
      missing = "a domain";
    }
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
    createdHosts.proxyHostId = created.id;
    proxyHostId = created.id;
    await log("info", "proxy", `created proxy host ${created.id} for ${domain}`);
  } else if (found.kind === "proxy" && (await isStageHost(deps, context, found.host, log))) {
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
  await switchTagHost(deps, context, proxy, upstream, createdHosts, log);
}

/**
 * True when the stage's proxy host is Berth's: an instance of the stage records its id, or
 * it forwards to an instance of the stage. The second case is a host Berth created just
 * before its process died, so no instance recorded it. It is adopted with a log line.
 */
async function isStageHost(
  deps: PipelineDeps,
  context: DeployContext,
  host: ProxyHost,
  log: DeployLog,
): Promise<boolean> {
  if (await stageOwnsProxyHost(deps.db, context.stage.id, host.id)) {
    return true;
  }
  if (!(await forwardsToStage(deps, context, host))) {
    return false;
  }
  await log(
    "warn",
    "proxy",
    `adopted proxy host ${host.id} for ${host.domainNames.join(", ")}: it forwards to ${host.forwardHost}:${host.forwardPort}, an instance of stage ${context.stage.name}, so Berth created it without recording it`,
  );
  return true;
}

/** Returns the per-tag domain of an instance, e.g. `stage-dev-shop-1-4-0.example.test`. */
export function tagDomain(context: DeployContext, tag: string): string | null {
  const { settings, stage, project } = context;
  if (!settings.baseDomain) {
    return null;
  }
  const label = subdomain(settings.tagSubdomainPattern, {
    stage: stage.name,
    project: project.slug,
    tag,
  });
  return `${label}.${settings.baseDomain.toLowerCase()}`;
}

/**
 * Points the per-tag domain at the new instance. It is a convenience next to the stage's
 * host, so a conflict or an NPM error is logged as a warning and the deploy goes on.
 */
async function switchTagHost(
  deps: PipelineDeps,
  context: DeployContext,
  proxy: ProxyManagerClient,
  upstream: { host: string; port: number },
  createdHosts: { tagProxyHostId?: number },
  log: DeployLog,
): Promise<void> {
  const domain = tagDomain(context, context.deploy.tag);
  if (!domain) {
    return;
  }
  const target = {
    forwardScheme: "http" as const,
    forwardHost: upstream.host,
    forwardPort: upstream.port,
  };
  try {
    const found = await proxy.findHostByDomain(domain);
    if (!found) {
      const created = await proxy.createProxyHost({ domainNames: [domain], ...target });
      createdHosts.tagProxyHostId = created.id;
      await log("info", "proxy", `created proxy host ${created.id} for ${domain}`);
    } else if (found.kind === "proxy" && (await forwardsToStage(deps, context, found.host))) {
      await proxy.updateProxyHost(found.host.id, target);
      await log("info", "proxy", `switched proxy host ${found.host.id} for ${domain}`);
    } else {
      const id = found.kind === "proxy" ? found.host.id : found.id;
      await log(
        "warn",
        "proxy",
        `per-tag domain ${domain} skipped: Nginx Proxy Manager ${found.kind} host ${id} serves it and Berth did not create it`,
      );
    }
  } catch (error) {
    await log("warn", "proxy", `per-tag domain ${domain} skipped: ${messageOf(error)}`);
  }
}

/**
 * True when the host forwards to an instance this stage ran: the per-tag host has no
 * column of its own, so its target is the proof that Berth made it.
 */
export async function forwardsToStage(
  deps: Pick<PipelineDeps, "db">,
  context: DeployContext,
  host: ProxyHost,
): Promise<boolean> {
  const rows = await deps.db
    .select({ id: instances.id })
    .from(instances)
    .where(
      and(
        eq(instances.stageId, context.stage.id),
        eq(instances.upstreamHost, host.forwardHost),
        eq(instances.upstreamPort, host.forwardPort),
      ),
    )
    .limit(1);
  return rows.length > 0;
}
