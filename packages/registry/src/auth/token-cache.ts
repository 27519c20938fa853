/** Bearer tokens by realm, service and scope, each kept until shortly before it expires. */
export class TokenCache {
  readonly #entries = new Map<string, { token: string; expiresAt: number }>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  get(realm: string, service: string | undefined, scope: string | undefined): string | undefined {
    const key = cacheKey(realm, service, scope);
    const entry = this.#entries.get(key);
    if (!entry) {
      return undefined;
    }
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.token;
  }

  /**
   * Stores a token for `expiresInSeconds`, less a 10% margin so a token is not sent in the
   * last moments of its life.
   */
  set(
    realm: string,
    service: string | undefined,
    scope: string | undefined,
    token: string,
    expiresInSeconds: number,
  ): void {
    const lifetimeMs = expiresInSeconds * 1000 * 0.9;
    this.#entries.set(cacheKey(realm, service, scope), {
      token,
      expiresAt: this.#now() + lifetimeMs,
    });
  }

  delete(realm: string, service: string | undefined, scope: string | undefined): void {
    this.#entries.delete(cacheKey(realm, service, scope));
  }
}

function cacheKey(realm: string, service: string | undefined, scope: string | undefined): string {
  return JSON.stringify([realm, service ?? null, scope ?? null]);
}
