import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import pino from "pino";
import { afterEach, describe, expect, test } from "vitest";
import {
  createNotifier,
  type DeployEvent,
  MAX_NOTIFICATION_REDIRECTS,
  signBody,
} from "../src/pipeline/notify.js";

const EVENT: DeployEvent = {
  event: "deploy.succeeded",
  at: "2026-01-01T00:00:00.000Z",
  deploy: {
    id: "d1",
    project: "shop",
    stage: "dev",
    tag: "1.0",
    digest: null,
    status: "succeeded",
    step: null,
    error: null,
  },
};

interface Received {
  method: string;
  path: string;
  signature: string | undefined;
  body: string;
}

interface Receiver {
  url: string;
  origin: string;
  received: Received[];
}

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** Starts an HTTP server on 127.0.0.1 that records each request, then lets `reply` respond. */
async function startReceiver(
  reply: (request: Received, response: ServerResponse, origin: string) => void,
): Promise<Receiver> {
  const received: Received[] = [];
  let origin = "";
  const server = createServer(async (request: IncomingMessage, response) => {
    const entry = {
      method: request.method ?? "",
      path: request.url ?? "",
      signature: request.headers["x-berth-signature-256"] as string | undefined,
      body: await readBody(request),
    };
    received.push(entry);
    reply(entry, response, origin);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: `${origin}/hook`, origin, received };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Creates a notifier with fast retries whose log lines are collected in `lines`. */
function notifier() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  const logger = pino({ level: "debug" }, sink);
  return { lines, notify: createNotifier({ logger, retries: 2, backoffMs: 10, timeoutMs: 2000 }) };
}

describe("notification redirects", () => {
  test.each([301, 302, 303, 307, 308])(
    "same-origin %i is followed with the POST",
    async (status) => {
      const receiver = await startReceiver((request, response) => {
        if (request.path === "/hook") {
          response.writeHead(status, { location: "/final" }).end();
          return;
        }
        response.writeHead(204).end();
      });
      const { notify } = notifier();

      notify.send(receiver.url, "s3cret", EVENT);
      await notify.drain(5000);

      expect(receiver.received.map((request) => request.path)).toEqual(["/hook", "/final"]);
      const final = receiver.received[1];
      expect(final?.method).toBe("POST");
      expect(final?.body).toBe(JSON.stringify(EVENT));
      expect(final?.signature).toBe(signBody("s3cret", JSON.stringify(EVENT)));
    },
  );

  test.each([
    { name: "another port", target: (other: Receiver) => `${other.origin}/steal` },
    {
      name: "https",
      target: (_other: Receiver, own: string) => `${own.replace("http:", "https:")}/hook`,
    },
  ])("redirect to $name fails without retries", async ({ target }) => {
    const other = await startReceiver((_request, response) => response.writeHead(204).end());
    let location = "";
    const receiver = await startReceiver((_request, response, origin) => {
      location = target(other, origin);
      response.writeHead(302, { location }).end();
    });
    const { notify, lines } = notifier();

    notify.send(receiver.url, "s3cret", EVENT);
    await notify.drain(5000);

    expect(receiver.received).toHaveLength(1);
    expect(other.received).toHaveLength(0);
    const errors = lines.filter((line) => line.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      from: receiver.url,
      to: location,
      reason: "redirect to another origin",
    });
  });

  test("redirect loop stops after the maximum", async () => {
    const receiver = await startReceiver((request, response) => {
      response.writeHead(307, { location: `${request.path}x` }).end();
    });
    const { notify, lines } = notifier();

    notify.send(receiver.url, null, EVENT);
    await notify.drain(5000);

    expect(receiver.received).toHaveLength(MAX_NOTIFICATION_REDIRECTS + 1);
    const errors = lines.filter((line) => line.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.reason).toBe(`more than ${MAX_NOTIFICATION_REDIRECTS} redirects`);
  });
});
