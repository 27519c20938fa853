/**
 * `pnpm demo`: starts the local parts of the flow and Berth with its dashboard, pushes sample
 * tags, prints the URL and the sign-in, and keeps running until Ctrl-C stops everything. It
 * then exits with status 0. pnpm reports no failure unless the SIGINT reached pnpm too, for
 * example when the input is not a terminal (see demo-stop.ts).
 */
import { signIn } from "./api-client.js";
import { DemoOptionError, readDemoOptions } from "./demo-options.js";
import { createDemoStopper, type DemoStopper } from "./demo-stop.js";
import { pushShop, waitForDeploy } from "./flow.js";
import { sendShopPush } from "./gitea-hook.js";
import { ADMIN_USER, type FlowRig, startFlowRig } from "./rig.js";
import { configureFlow } from "./setup.js";

async function main(stopper: DemoStopper): Promise<void> {
  const options = readDemoOptions(process.env);
  const where = options.databaseUrl ? "Postgres" : "the embedded database";
  say(`Starting the registry, podman, the proxy stand-in and Berth on ${where}…`);
  const rig = await startFlowRig({
    port: options.port,
    embedded: !options.databaseUrl,
    ...(options.adminPassword ? { adminPassword: options.adminPassword } : {}),
  });
  started = rig;
  stopper.onStop(() => rig.stop());
  if (stopper.requested) {
    return;
  }

  const api = await signIn(rig.berth.url, ADMIN_USER, rig.adminPassword);
  const setup = await configureFlow(api, rig);
  const hook = (tag: string) => sendShopPush(rig, setup, tag);

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

/** The rig once it runs, so a failure after start-up can stop what the demo started. */
let started: FlowRig | undefined;

const stopper = createDemoStopper({
  input: process.stdin,
  signals: process,
  exit: (code) => process.exit(code),
  say,
});

main(stopper).catch(async (error: unknown) => {
  if (stopper.requested && started) {
    // Stopping the rig under a running step fails that step; the stopper exits when done.
    return;
  }
  const message = error instanceof DemoOptionError ? error.message : String(error);
  process.stderr.write(`pnpm demo: ${message}\n`);
  stopper.release();
  await started?.stop().catch(() => undefined);
  process.exit(1);
});
