import { RegistryError } from "../errors.js";
import type { HttpRequest, HttpResponse, HttpTransport } from "../http/transport.js";
import { type AuthChallenge, parseWwwAuthenticate } from "./challenge.js";
import { TokenCache } from "./token-cache.js";

/** Username and password or access token; both optional (anonymous pull). */
export interface Credentials {
  username?: string | undefined;
  token?: string | undefined;
}

/** Token lifetime when the token response has no `expires_in` (distribution token spec). */
const DEFAULT_TOKEN_SECONDS = 60;

/**
 * Handles registry auth challenges: Bearer (fetch a token from the realm, with Basic
 * credentials when configured, cached per realm, service and scope) or Basic (send the
 * credentials directly). After the first challenge, later requests carry auth up front;
 * a 401 is retried once with fresh auth.
 */
export class Authenticator {
  readonly #transport: HttpTransport;
  readonly #registry: string;
  readonly #credentials: Credentials;
  readonly #tokens = new TokenCache();
  #challenge: AuthChallenge | undefined;

  constructor(transport: HttpTransport, registry: string, credentials: Credentials) {
    this.#transport = transport;
    this.#registry = registry;
    this.#credentials = credentials;
  }

  /** Sends `request`, authorised for `scope` (`repository:acme/app:pull`) when challenged. */
  async send(request: HttpRequest, scope: string | undefined): Promise<HttpResponse> {
    const upFront = this.#challenge
      ? await this.#authorization(this.#challenge, scope, request)
      : undefined;
    const response = await this.#transport.send(withAuthorization(request, upFront));
    if (response.status !== 401) {
      return response;
    }

    const challenge = chooseChallenge(response.headers.get("www-authenticate"));
    if (!challenge) {
      return response;
    }
    if (this.#challenge && upFront) {
      this.#forgetToken(this.#challenge, scope);
    }
    this.#challenge = challenge;
    const fresh = await this.#authorization(challenge, scope, request);
    if (!fresh || fresh === upFront) {
      return response;
    }
    return await this.#transport.send(withAuthorization(request, fresh));
  }

  async #authorization(
    challenge: AuthChallenge,
    scope: string | undefined,
    request: HttpRequest,
  ): Promise<string | undefined> {
    if (challenge.scheme.toLowerCase() === "basic") {
      return this.#basic();
    }

    const realm = challenge.params.realm;
    if (!realm) {
      throw new RegistryError(
        `registry ${this.#registry} sent a Bearer challenge without a realm: it cannot issue tokens this way`,
        { kind: "protocol", registry: this.#registry, repository: request.repository },
      );
    }
    const service = challenge.params.service;
    // Our own pull scope, never an echo of a placeholder such as Gitea's scope="*".
    const tokenScope = scope ?? challenge.params.scope;
    const cached = this.#tokens.get(realm, service, tokenScope);
    if (cached) {
      return `Bearer ${cached}`;
    }

    const { token, expiresIn } = await this.#fetchToken(realm, service, tokenScope, request);
    this.#tokens.set(realm, service, tokenScope, token, expiresIn);
    return `Bearer ${token}`;
  }

  #forgetToken(challenge: AuthChallenge, scope: string | undefined): void {
    const realm = challenge.params.realm;
    if (realm) {
      this.#tokens.delete(realm, challenge.params.service, scope ?? challenge.params.scope);
    }
  }

  #basic(): string | undefined {
    const { username, token } = this.#credentials;
    if (username === undefined && token === undefined) {
      return undefined;
    }
    return `Basic ${Buffer.from(`${username ?? ""}:${token ?? ""}`).toString("base64")}`;
  }

  async #fetchToken(
    realm: string,
    service: string | undefined,
    scope: string | undefined,
    request: HttpRequest,
  ): Promise<{ token: string; expiresIn: number }> {
    const url = new URL(realm);
    if (service) {
      url.searchParams.set("service", service);
    }
    for (const part of scope ? scope.split(" ") : []) {
      url.searchParams.append("scope", part);
    }
    const basic = this.#basic();
    const response = await this.#transport.send({
      url: url.toString(),
      headers: basic ? { authorization: basic } : {},
      signal: request.signal,
      repository: request.repository,
    });
    return this.#readToken(response, realm, request.repository);
  }

  #readToken(
    response: HttpResponse,
    realm: string,
    repository: string | undefined,
  ): { token: string; expiresIn: number } {
    const details = { registry: this.#registry, repository, status: response.status };
    if (response.status === 401 || response.status === 403) {
      const user = this.#credentials.username ? ` for user ${this.#credentials.username}` : "";
      throw new RegistryError(
        `token endpoint ${realm} of registry ${this.#registry} rejected the credentials${user} (HTTP ${response.status}): check the username and token`,
        { kind: "unauthorized", ...details },
      );
    }
    if (response.status !== 200) {
      throw new RegistryError(
        `token endpoint ${realm} of registry ${this.#registry} returned HTTP ${response.status}: check the registry's auth settings`,
        { kind: response.status >= 500 ? "network" : "protocol", ...details },
      );
    }

    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(response.body) as typeof body;
    } catch (error) {
      throw new RegistryError(
        `token endpoint ${realm} of registry ${this.#registry} returned invalid JSON`,
        { kind: "protocol", ...details, cause: error },
      );
    }
    const token = typeof body.token === "string" ? body.token : body.access_token;
    if (typeof token !== "string" || token === "") {
      throw new RegistryError(
        `token endpoint ${realm} of registry ${this.#registry} returned no token`,
        { kind: "protocol", ...details },
      );
    }
    const expiresIn =
      typeof body.expires_in === "number" && body.expires_in > 0
        ? body.expires_in
        : DEFAULT_TOKEN_SECONDS;
    return { token, expiresIn };
  }
}

/** Prefers Bearer over Basic; ignores schemes a registry client cannot use. */
function chooseChallenge(header: string | null): AuthChallenge | undefined {
  const challenges = parseWwwAuthenticate(header ?? "");
  return (
    challenges.find((challenge) => challenge.scheme.toLowerCase() === "bearer") ??
    challenges.find((challenge) => challenge.scheme.toLowerCase() === "basic")
  );
}

function withAuthorization(request: HttpRequest, authorization: string | undefined): HttpRequest {
  if (!authorization) {
    return request;
  }
  return { ...request, headers: { ...request.headers, authorization } };
}
