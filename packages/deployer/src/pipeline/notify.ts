/**
 * Deploy notifications: a JSON POST signed with HMAC-SHA256, sent in the background with a
 * timeout and retries, so a slow or broken receiver never holds up a deploy. Redirects are
 * followed by hand and only within the notification URL's origin, so a receiver cannot send
 * the signed event on to another host.
 */
import { createHmac } from "node:crypto";
import type { Logger } from "pino";
import { messageOf } from "../errors.js";

/** The event a receiver gets. */
export interface DeployEvent {
  event: "deploy.succeeded" | "deploy.failed" | "deploy.rolled_back";
  at: string;
  deploy: {
    id: string;
    project: string;
    stage: string;
    tag: string;
    digest: string | null;
    status: string;
    step: string | null;
    error: string | null;
  };
}

export interface NotifierOptions {
  fetch?: typeof fetch | undefined;
  logger: Logger;
  timeoutMs?: number | undefined;
  /** Attempts after the first. Default 2. */
  retries?: number | undefined;
  /** Wait before the first retry, doubled for each next one. Default 1 s. */
  backoffMs?: number | undefined;
}

export interface Notifier {
  /** Starts sending; returns at once. */
  send(url: string, secret: string | null, event: DeployEvent): void;
  /** Waits for sends in flight, at most `timeoutMs`. */
  drain(timeoutMs: number): Promise<void>;
}

/** Signature header value: `sha256=` and the hex HMAC-SHA256 of the exact body. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** Redirects followed within one origin before a delivery counts as failed. */
export const MAX_NOTIFICATION_REDIRECTS = 3;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** A redirect that ends the delivery, because it leaves the origin or exceeds the maximum. */
class RejectedRedirect extends Error {
  constructor(
    message: string,
    readonly from: string,
    readonly to: string,
  ) {
    super(message);
  }
}

/**
 * Sends the POST and follows redirects within the URL's origin, each time with the same body
 * and headers, because only a POST carries the event (fetch would turn a 301, 302 or 303 into
 * a body-less GET). A redirect to another origin, where a different scheme or port counts as
 * another origin, ends the delivery with `RejectedRedirect`.
 */
async function postWithinOrigin(
  post: typeof fetch,
  url: string,
  init: { headers: Record<string, string>; body: string; timeoutMs: number },
): Promise<Response> {
  let current = url;
  for (let redirects = 0; ; redirects += 1) {
    const response = await post(current, {
      method: "POST",
      headers: init.headers,
      body: init.body,
      redirect: "manual",
      signal: AbortSignal.timeout(init.timeoutMs),
    });
    const location = response.headers.get("location");
    if (!REDIRECT_STATUSES.has(response.status) || location === null) {
      return response;
    }
    await response.body?.cancel();

    const target = new URL(location, current).toString();
    if (new URL(target).origin !== new URL(current).origin) {
      throw new RejectedRedirect("redirect to another origin", current, target);
    }
    if (redirects === MAX_NOTIFICATION_REDIRECTS) {
      throw new RejectedRedirect(
        `more than ${MAX_NOTIFICATION_REDIRECTS} redirects`,
        current,
        target,
      );
    }
    current = target;
  }
}

/** Creates the notifier; `send` never waits and never throws. */
export function createNotifier(options: NotifierOptions): Notifier {
  const post = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 5000;
  const retries = options.retries ?? 2;
  const backoffMs = options.backoffMs ?? 1000;
  const inFlight = new Set<Promise<void>>();

  async function deliver(url: string, secret: string | null, event: DeployEvent): Promise<void> {
    const body = JSON.stringify(event);
    const headers: Record<string, string> = { "Content-Type": "application/json" };
    if (secret) {
      headers["X-Berth-Signature-256"] = signBody(secret, body);
    }
    const log = options.logger.child({ deploy: event.deploy.id, url });

    for (let attempt = 0; attempt <= retries; attempt += 1) {
      if (attempt > 0) {
        await new Promise((resolve) => setTimeout(resolve, backoffMs * 2 ** (attempt - 1)));
      }
      try {
        const response = await postWithinOrigin(post, url, { headers, body, timeoutMs });
        await response.body?.cancel();
        if (response.ok) {
          log.debug({ attempt }, "notification delivered");
          return;
        }
        log.warn({ attempt, status: response.status }, "notification rejected");
      } catch (error) {
        if (error instanceof RejectedRedirect) {
          // The redirect comes from the receiver's setup, so a retry would get the same one.
          log.error(
            { attempt, from: error.from, to: error.to, reason: error.message },
            "notification redirect not followed: set the notification URL to the final address",
          );
          return;
        }
        log.warn({ attempt, error: messageOf(error) }, "notification failed");
      }
    }
    log.error({ attempts: retries + 1 }, "notification given up");
  }

  return {
    send(url, secret, event) {
      const sending = deliver(url, secret, event)
        .catch((error: unknown) =>
          options.logger.error(
            { deploy: event.deploy.id, error: messageOf(error) },
            "notification failed",
          ),
        )
        .finally(() => inFlight.delete(sending));
      inFlight.add(sending);
    },
    async drain(waitMs) {
      const timer = new Promise<void>((resolve) => setTimeout(resolve, waitMs).unref());
      await Promise.race([Promise.allSettled([...inFlight]).then(() => undefined), timer]);
    },
  };
}
