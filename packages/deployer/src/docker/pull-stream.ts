/**
 * Reading the progress stream of `POST /images/create`. The engine returns 200 before it
 * starts pulling, so a failure arrives as a JSON line inside the stream (moby/moby#8844).
 */

/** Result of a finished pull stream. */
export interface PullOutcome {
  /** `sha256:…` from the engine's "Digest: …" status line, when it sent one. */
  digest: string | undefined;
  /** The last status line, e.g. "Status: Downloaded newer image for …". */
  lastStatus: string | undefined;
  /** The error message when a line carried `errorDetail` or `error`. */
  error: string | undefined;
}

interface PullLine {
  status?: unknown;
  error?: unknown;
  errorDetail?: { message?: unknown };
}

/**
 * Reads the whole newline-delimited JSON stream, buffering partial lines across chunk
 * boundaries. The first error line is kept and reading goes on to the end, because a
 * stream left unread keeps the pull running in the engine.
 */
export async function readPullStream(stream: AsyncIterable<Buffer | string>): Promise<PullOutcome> {
  const outcome: PullOutcome = { digest: undefined, lastStatus: undefined, error: undefined };
  let pending = "";
  for await (const chunk of stream) {
    pending += chunk.toString();
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      applyLine(outcome, line);
    }
  }
  applyLine(outcome, pending);
  return outcome;
}

function applyLine(outcome: PullOutcome, raw: string): void {
  const text = raw.trim();
  if (text === "") {
    return;
  }

  let line: PullLine;
  try {
    line = JSON.parse(text) as PullLine;
  } catch {
    outcome.error ??= `unreadable line in the pull stream: ${text.slice(0, 200)}`;
    return;
  }

  // `errorDetail.message` is current; the top-level `error` string was dropped in API 1.48.
  const error = stringOf(line.errorDetail?.message) ?? stringOf(line.error);
  if (error !== undefined) {
    outcome.error ??= error;
    return;
  }

  const status = stringOf(line.status);
  if (status !== undefined) {
    outcome.lastStatus = status;
    const digest = /^Digest: (sha256:[a-f0-9]{64})/.exec(status)?.[1];
    outcome.digest = digest ?? outcome.digest;
  }
}

function stringOf(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}
