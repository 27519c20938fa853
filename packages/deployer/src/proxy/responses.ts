/**
 * Reading Nginx Proxy Manager response bodies. Every field Berth uses is checked, because a
 * wrong type (a port as text, domains as one string) would otherwise reach the deploy's
 * decisions about which host it owns.
 */
import type { ProxyHost } from "./client.js";

/** The response body lacks a field Berth needs, or has it with the wrong type. */
export class InvalidResponseError extends Error {
  override readonly name = "InvalidResponseError";
}

/** A redirection or dead host: only its id and domains matter to Berth. */
export interface ParsedOtherHost {
  id: number;
  domainNames: string[];
}

type Fields = Record<string, unknown>;

/** Reads one proxy host. `forward_port` may be a string of digits, which is read as a number. */
export function parseProxyHost(body: unknown): ProxyHost {
  const { id, domainNames } = parseOtherHost(body);
  const host = body as Fields;
  const scheme = host.forward_scheme;
  if (scheme !== "http" && scheme !== "https") {
    throw new InvalidResponseError(
      `the forward_scheme of host ${id} is ${describeValue(scheme)}, not http or https`,
    );
  }
  const forwardHost = host.forward_host;
  if (typeof forwardHost !== "string") {
    throw new InvalidResponseError(
      `the forward_host of host ${id} is ${describeValue(forwardHost)}, not a string`,
    );
  }
  return {
    id,
    domainNames,
    forwardScheme: scheme,
    forwardHost,
    forwardPort: parsePort(host.forward_port, id),
    enabled: host.enabled === undefined ? true : Boolean(host.enabled),
  };
}

/** Reads the id and domains of a host of any kind. */
export function parseOtherHost(body: unknown): ParsedOtherHost {
  const host = requireObject(body, "host");
  const id = host.id;
  if (typeof id !== "number" || !Number.isInteger(id)) {
    throw new InvalidResponseError(`a host's id is ${describeValue(id)}, not an integer`);
  }
  const names = host.domain_names;
  if (!Array.isArray(names) || !names.every((name) => typeof name === "string")) {
    throw new InvalidResponseError(
      `the domain_names of host ${id} are ${describeValue(names)}, not a list of strings`,
    );
  }
  return { id, domainNames: names };
}

/** Reads a list of hosts with `parse`, failing on the first malformed one. */
export function parseHostList<T>(body: unknown, parse: (entry: unknown) => T): T[] {
  if (!Array.isArray(body)) {
    throw new InvalidResponseError(`the host list is ${describeValue(body)}, not a JSON array`);
  }
  return body.map(parse);
}

function parsePort(value: unknown, id: number): number {
  const port = typeof value === "string" && /^\d{1,5}$/.test(value) ? Number(value) : value;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new InvalidResponseError(
      `the forward_port of host ${id} is ${describeValue(value)}, not a port number`,
    );
  }
  return port;
}

function requireObject(value: unknown, subject: string): Fields {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidResponseError(`the ${subject} is ${describeValue(value)}, not a JSON object`);
  }
  return value as Fields;
}

/** Names what arrived, quoting short scalars only, so a huge value never fills the message. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "missing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") {
    return value.length <= 40 ? `the text ${JSON.stringify(value)}` : "a long text";
  }
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return `a ${typeof value}`;
}
