/**
 * Pushes 20 tags to a running `berth serve`, each announced by a signed Gitea webhook, and
 * measures webhook request → instance passing its health gate, minus the engine's pull and
 * start time. Writes bench/results/e2e-latency.md and .json.
 */
import { writeFile } from "node:fs/promises";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { signIn } from "../src/api-client.js";
import { pushShop, waitForDeploy } from "../src/flow.js";
import { sendShopPush } from "../src/gitea-hook.js";
import { type LogEntry, type PushTiming, percentile, timePush } from "../src/latency.js";
import { ADMIN_USER, startFlowRig } from "../src/rig.js";
import { configureFlow } from "../src/setup.js";
import { waitFor } from "../src/wait.js";

const PUSHES = 20;
const RESULTS = fileURLToPath(new URL("../../bench/results/", import.meta.url));

// A poll interval of an hour leaves every deploy to the webhook.
const rig = await startFlowRig({ pollIntervalSeconds: 3600 });
try {
  const api = await signIn(rig.berth.url, ADMIN_USER, rig.adminPassword);
  const setup = await configureFlow(api, rig);
  const hook = (tag: string) => sendShopPush(rig, setup, tag);

  // The stages' first check records a baseline and deploys nothing, so it runs untimed.
  await pushShop(rig, "base");
  await hook("base");
  await waitFor("the first check", async () => {
    const { deliveries } = await api.get<{ deliveries: Array<{ result: string }> }>(
      "/webhooks/deliveries",
    );
    return deliveries.some((d) => d.result === "matched") ? true : undefined;
  });

  const timings: PushTiming[] = [];
  for (let index = 1; index <= PUSHES; index += 1) {
    const tag = `dev-${String(index).padStart(3, "0")}`;
    await pushShop(rig, tag);
    const sentAt = Date.now();
    await hook(tag);
    const deploy = await waitForDeploy(api, setup.dev.id, tag);
    if (deploy.status !== "succeeded") {
      throw new Error(`deploy of ${tag} ended ${deploy.status}: ${deploy.error}`);
    }
    const { entries } = await api.get<{ entries: LogEntry[] }>(`/deploys/${deploy.id}/log`);
    timings.push(timePush(sentAt, entries));
  }
  await writeResults(timings);
} finally {
  await rig.stop();
}

async function writeResults(timings: PushTiming[]): Promise<void> {
  const machine = `${os.cpus()[0]?.model ?? "unknown CPU"}, ${os.cpus().length} cores, Node ${process.version}`;
  const figure = (pick: (t: PushTiming) => number) => {
    const values = timings.map(pick);
    return { p50: percentile(values, 50), p99: percentile(values, 99) };
  };
  const result = {
    machine,
    loadAverage: os.loadavg()[0]?.toFixed(2),
    pushes: timings.length,
    totalMs: figure((t) => t.totalMs),
    engineMs: figure((t) => t.engineMs),
    berthMs: figure((t) => t.berthMs),
  };
  const row = (name: string, f: { p50: number; p99: number }) =>
    `| ${name} | ${f.p50.toFixed(0)} ms | ${f.p99.toFixed(0)} ms |`;
  const markdown = `# End to end: webhook to a healthy instance

Machine: ${machine}; load average ${result.loadAverage} at the end. Berth runs as
\`berth serve\` on Postgres with podman, docker-registry and the proxy stand-in on 127.0.0.1.

${timings.length} pushes of a busybox httpd image to stage \`dev\`, each announced by a signed
Gitea webhook, one after another. Total = webhook request sent → the deploy log's "health
gate passed" line. Engine = resolve finished → container started (pull, create, start).
Berth = total − engine: webhook intake, the stage check, queueing, the digest lookup and
the health gate's first probe.

| figure | p50 | p99 |
|---|---|---|
${row("total: webhook → health gate passed", result.totalMs)}
${row("engine: pull, create and start", result.engineMs)}
${row("Berth: total minus engine", result.berthMs)}

Ratio total / engine (p50): ${(result.totalMs.p50 / result.engineMs.p50).toFixed(2)}.
`;
  await writeFile(`${RESULTS}e2e-latency.json`, `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(`${RESULTS}e2e-latency.md`, markdown);
  process.stdout.write(markdown);
}
