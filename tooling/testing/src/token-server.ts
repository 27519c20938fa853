import { createPrivateKey, randomUUID, sign, timingSafeEqual, X509Certificate } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A distribution token server (the `auth.token` realm) on 127.0.0.1. */
export interface TokenServer {
  /** Token endpoint URL, `http://127.0.0.1:PORT/token`. */
  realm: string;
  /** Number of token requests served so far, to check client-side token caching. */
  requestCount(): number;
  stop(): Promise<void>;
}

export interface TokenServerOptions {
  privateKeyPem: string;
  certificatePem: string;
  issuer: string;
  service: string;
  credentials: { username: string; password: string };
  /** Lifetime written into `expires_in` and the token's `exp`, in seconds. Default 300. */
  expiresInSeconds?: number;
}

interface AccessEntry {
  type: string;
  name: string;
  actions: string[];
}

/**
 * Starts a token server following the distribution token spec: `GET /token?service=…&scope=…`
 * with optional Basic credentials. The configured credentials get every action they ask for;
 * an anonymous request gets a token without access (the registry then answers 401), and wrong
 * credentials get 401.
 */
export async function startTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  let count = 0;
  const server = createServer((request, response) => {
    count += 1;
    handleTokenRequest(options, request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    realm: `http://127.0.0.1:${port}/token`,
    requestCount: () => count,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function handleTokenRequest(
  options: TokenServerOptions,
  request: IncomingMessage,
  response: ServerResponse,
): void {
  const url = new URL(request.url ?? "/", "http://127.0.0.1");
  if (url.pathname !== "/token" || request.method !== "GET") {
    sendJson(response, 404, { errors: [{ code: "NOT_FOUND", message: "no such endpoint" }] });
    return;
  }

  const caller = readBasicCredentials(request.headers.authorization);
  const authenticated = caller !== undefined && credentialsMatch(caller, options.credentials);
  if (caller !== undefined && !authenticated) {
    sendJson(response, 401, {
      errors: [{ code: "UNAUTHORIZED", message: "invalid username or password" }],
    });
    return;
  }

  const access = authenticated ? url.searchParams.getAll("scope").flatMap(parseScope) : [];
  const expiresIn = options.expiresInSeconds ?? 300;
  const token = signToken(options, caller?.username ?? "", access, expiresIn);
  sendJson(response, 200, {
    token,
    access_token: token,
    expires_in: expiresIn,
    issued_at: new Date().toISOString(),
  });
}

function readBasicCredentials(
  header: string | undefined,
): { username: string; password: string } | undefined {
  if (!header?.toLowerCase().startsWith("basic ")) {
    return undefined;
  }
  const decoded = Buffer.from(header.slice(6).trim(), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) {
    return undefined;
  }
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function credentialsMatch(
  given: { username: string; password: string },
  expected: { username: string; password: string },
): boolean {
  const a = Buffer.from(`${given.username}:${given.password}`);
  const b = Buffer.from(`${expected.username}:${expected.password}`);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Parses `repository:acme/app:pull,push` (the name may itself contain no colon here). */
function parseScope(scope: string): AccessEntry[] {
  return scope
    .split(" ")
    .filter((part) => part.length > 0)
    .flatMap((part) => {
      const first = part.indexOf(":");
      const last = part.lastIndexOf(":");
      if (first < 0 || first === last) {
        return [];
      }
      return [
        {
          type: part.slice(0, first),
          name: part.slice(first + 1, last),
          actions: part.slice(last + 1).split(","),
        },
      ];
    });
}

function signToken(
  options: TokenServerOptions,
  subject: string,
  access: AccessEntry[],
  expiresIn: number,
): string {
  const certificate = new X509Certificate(options.certificatePem);
  const header = { typ: "JWT", alg: "ES256", x5c: [certificate.raw.toString("base64")] };
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: options.issuer,
    sub: subject,
    aud: options.service,
    exp: now + expiresIn,
    nbf: now - 10,
    iat: now,
    jti: randomUUID(),
    access,
  };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = sign("sha256", Buffer.from(signingInput), {
    key: createPrivateKey(options.privateKeyPem),
    dsaEncoding: "ieee-p1363",
  });
  return `${signingInput}.${signature.toString("base64url")}`;
}

function base64url(text: string): string {
  return Buffer.from(text).toString("base64url");
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}
