/**
 * `pnpm demo`: starts the local parts of the flow and Berth with its dashboard, pushes sample
 * tags, prints the URL and the sign-in, and keeps running until Ctrl-C stops everything.
 */
import { signIn } from "./api-client.js";
import { DemoOptionError, readDemoOptions } from "./demo-options.js";
import { pushShop, waitForDeploy } from "./flow.js";
import { sendGiteaPush } from "./gitea-hook.js";
import { ADMIN_USER, type FlowRig, startFlowRig } from "./rig.js";
import { configureFlow, type FlowSetup } from "./setup.js";

async function main(): Promise<void> {
  const options = readDemoOptions(process.env);
  const where = options.databaseUrl ? "Postgres" : "the embedded database";
  say(`Starting the registry, podman, the proxy stand-in and Berth on ${where}…`);
  const rig = await startFlowRig({
    port: options.port,
    embedded: !options.databaseUrl,
    ...(options.adminPassword ? { adminPassword: options.adminPassword } : {}),
  });
  stopOnSignal(rig);

  const api = await signIn(rig.berth.url, ADMIN_USER, rig.adminPassword);
  const setup = await configureFlow(api, rig);
  const hook = (tag: string) => sendGiteaPush(hookTarget(rig, setup, tag));

  say("Pushing acme/shop:dev-1 and sending its Gitea webhook…");
  await pushShop(rig, "dev-1");
  await hook("dev-1");
  const dev = await waitForDeploy(api, setup.dev.id, "dev-1");
  say("Pushing acme/shop:v1.0.0, which waits for approval on prod…");
  await pushShop(rig, "v1.0.0");
  await hook("v1.0.0");
  await waitForDeploy(api, setup.prod.id, "v1.0.0", (status) => status === "pending_approval");

  say(`
Berth is running at ${rig.berth.url}
Sign in as:         ${ADMIN_USER} / ${rig.adminPassword}

dev-1 on stage dev: ${dev.status}. v1.0.0 on stage prod waits for your approval.
The registry is at ${rig.registry.url} (acme/shop); the poller checks it every 10 s.
Press Ctrl-C to stop Berth and everything the demo started.`);
}

/** Writes one message for the person running the demo. */
function say(text: string): void {
  process.stdout.write(`${text}\n`);
}

function hookTarget(rig: FlowRig, setup: FlowSetup, tag: string) {
  return {
    berthUrl: rig.berth.url,
    secret: setup.giteaSecret,
    registryHost: rig.registry.host,
    owner: "acme",
    name: "shop",
    tag,
  };
}

function stopOnSignal(rig: FlowRig): void {
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    say("\nStopping…");
    rig.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((error: unknown) => {
  const message = error instanceof DemoOptionError ? error.message : String(error);
  process.stderr.write(`pnpm demo: ${message}\n`);
  process.exit(1);
});
