/** Sends a package delivery shaped and signed as Gitea sends it. */
import { createHmac, randomUUID } from "node:crypto";

export interface GiteaPush {
  berthUrl: string;
  secret: string;
  /** `127.0.0.1:PORT`, the registry host Gitea's package page URL carries. */
  registryHost: string;
  owner: string;
  name: string;
  tag: string;
}

/** Posts the delivery to `/api/v1/hooks/gitea` and returns the response status. */
export async function sendGiteaPush(push: GiteaPush): Promise<number> {
  const body = JSON.stringify({
    action: "created",
    package: {
      id: 1,
      type: "container",
      name: push.name,
      version: push.tag,
      owner: { id: 1, login: push.owner },
      html_url: `http://${push.registryHost}/${push.owner}/-/packages/container/${push.name}/${push.tag}`,
    },
    sender: { id: 1, login: push.owner },
  });
  const signature = createHmac("sha256", push.secret).update(body).digest("hex");
  const response = await fetch(`${push.berthUrl}/api/v1/hooks/gitea`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-gitea-event": "package",
      "x-gitea-delivery": randomUUID(),
      "x-gitea-signature": signature,
    },
    body,
  });
  await response.arrayBuffer();
  return response.status;
}

/** The parts of a flow rig that `sendShopPush` needs: Berth's URL and the registry's host. */
export interface ShopHookTarget {
  berth: { url: string };
  registry: { host: string };
}

/**
 * Announces a tag of the flow's `acme/shop` image, signed with the Gitea secret the flow
 * set up, or with `secret` to test a wrong one. Returns the response status.
 */
export function sendShopPush(
  rig: ShopHookTarget,
  setup: { giteaSecret: string },
  tag: string,
  secret = setup.giteaSecret,
): Promise<number> {
  return sendGiteaPush({
    berthUrl: rig.berth.url,
    secret,
    registryHost: rig.registry.host,
    owner: "acme",
    name: "shop",
    tag,
  });
}
