/** Credentials for one registry, sent to the engine with a pull. */
export interface RegistryAuth {
  username?: string | undefined;
  password?: string | undefined;
  identityToken?: string | undefined;
  /** Registry host without scheme, e.g. `gitea.example.test:5000`. */
  serverAddress: string;
}

/**
 * Encodes credentials for the `X-Registry-Auth` header. The engine decodes it with Go's
 * `base64.URLEncoding`, which requires `=` padding, and Node's `base64url` strips it: so
 * standard base64 with the URL alphabet swapped in.
 */
export function encodeRegistryAuth(auth: RegistryAuth): string {
  const body = auth.identityToken
    ? { identitytoken: auth.identityToken, serveraddress: auth.serverAddress }
    : { username: auth.username, password: auth.password, serveraddress: auth.serverAddress };
  return Buffer.from(JSON.stringify(body))
    .toString("base64")
    .replace(/\+/g, "-")
    .replace(/\//g, "_");
}
