import type { SerialisedManifest, TestRegistryCredentials } from "./images.js";

/** Every manifest type, so a HEAD or GET finds the manifest whatever was pushed. */
const MANIFEST_ACCEPT = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

/** Per registry host, a repository known to hold each blob, for cross-repository mounts. */
const knownBlobs = new Map<string, Map<string, string>>();

/**
 * The few OCI Distribution calls a test needs to push and delete images, over plain HTTP on
 * 127.0.0.1, handling a Basic or Bearer challenge with the given credentials.
 */
export class RegistryPushClient {
  readonly #baseUrl: string;
  readonly #credentials: TestRegistryCredentials | undefined;
  #authorization: string | undefined;

  constructor(registry: string, credentials?: TestRegistryCredentials) {
    this.#baseUrl = `http://${registry}`;
    this.#credentials = credentials;
  }

  /**
   * Uploads a blob unless the repository already has it. A blob pushed to another repository
   * of the same registry is mounted from there instead of uploaded again.
   */
  async pushBlob(repository: string, blob: { digest: string; bytes: Buffer }): Promise<void> {
    const head = await this.#request("HEAD", `/v2/${repository}/blobs/${blob.digest}`, repository);
    await head.arrayBuffer();
    if (head.status === 200) {
      return;
    }

    const known = knownBlobs.get(this.#baseUrl) ?? new Map<string, string>();
    knownBlobs.set(this.#baseUrl, known);
    const from = known.get(blob.digest);
    const mountQuery = from && !this.#credentials ? `?mount=${blob.digest}&from=${from}` : "";
    const start = await this.#request(
      "POST",
      `/v2/${repository}/blobs/uploads/${mountQuery}`,
      repository,
    );
    await start.arrayBuffer();
    if (start.status === 201) {
      return;
    }
    const location = start.headers.get("location");
    if (start.status !== 202 || !location) {
      throw await pushError(start, `start a blob upload to ${repository}`);
    }

    const uploadUrl = new URL(location, this.#baseUrl);
    uploadUrl.searchParams.set("digest", blob.digest);
    const put = await this.#request("PUT", uploadUrl.toString(), repository, {
      headers: { "content-type": "application/octet-stream" },
      body: blob.bytes,
    });
    if (put.status !== 201) {
      throw await pushError(put, `upload blob ${blob.digest} to ${repository}`);
    }
    await put.arrayBuffer();
    known.set(blob.digest, repository);
  }

  /** Puts a manifest under `reference` (a tag or its digest) and returns its digest. */
  async pushManifest(
    repository: string,
    reference: string,
    manifest: SerialisedManifest,
  ): Promise<string> {
    const response = await this.#request(
      "PUT",
      `/v2/${repository}/manifests/${reference}`,
      repository,
      { headers: { "content-type": manifest.mediaType }, body: manifest.bytes },
    );
    if (response.status !== 201) {
      throw await pushError(response, `push manifest ${repository}:${reference}`);
    }
    return response.headers.get("docker-content-digest") ?? manifest.digest;
  }

  async deleteTag(repository: string, tag: string): Promise<void> {
    const head = await this.#request("HEAD", `/v2/${repository}/manifests/${tag}`, repository, {
      headers: { accept: MANIFEST_ACCEPT },
    });
    const digest = head.headers.get("docker-content-digest");
    if (head.status !== 200 || !digest) {
      throw await pushError(head, `find the manifest of ${repository}:${tag}`);
    }

    const response = await this.#request(
      "DELETE",
      `/v2/${repository}/manifests/${digest}`,
      repository,
    );
    if (response.status !== 202) {
      throw await pushError(response, `delete ${repository}:${tag}`);
    }
  }

  async #request(
    method: string,
    pathOrUrl: string,
    repository: string,
    init: { headers?: Record<string, string>; body?: Buffer } = {},
  ): Promise<Response> {
    const send = () =>
      fetch(new URL(pathOrUrl, this.#baseUrl), {
        method,
        headers: {
          ...init.headers,
          ...(this.#authorization ? { authorization: this.#authorization } : {}),
        },
        ...(init.body ? { body: init.body } : {}),
      });

    const response = await send();
    if (response.status !== 401 || !this.#credentials) {
      return response;
    }
    await response.arrayBuffer();
    this.#authorization = await this.#answerChallenge(
      response.headers.get("www-authenticate") ?? "",
      repository,
    );
    return await send();
  }

  async #answerChallenge(challenge: string, repository: string): Promise<string> {
    const credentials = this.#credentials;
    if (!credentials) {
      throw new Error("a registry challenge needs credentials, and none were given");
    }
    const basic = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`;
    if (!/^\s*bearer\s/i.test(challenge)) {
      return basic;
    }

    const realm = /realm="([^"]*)"/i.exec(challenge)?.[1];
    if (!realm) {
      throw new Error(`registry challenge has no realm: ${challenge}`);
    }
    const tokenUrl = new URL(realm);
    const service = /service="([^"]*)"/i.exec(challenge)?.[1];
    if (service) {
      tokenUrl.searchParams.set("service", service);
    }
    tokenUrl.searchParams.set("scope", `repository:${repository}:pull,push,delete`);
    const response = await fetch(tokenUrl, { headers: { authorization: basic } });
    if (!response.ok) {
      throw await pushError(response, `get a push token from ${realm}`);
    }
    const body = (await response.json()) as { token?: string; access_token?: string };
    return `Bearer ${body.token ?? body.access_token ?? ""}`;
  }
}

async function pushError(response: Response, action: string): Promise<Error> {
  const body = await response.text().catch(() => "");
  return new Error(`could not ${action}: HTTP ${response.status} ${body.slice(0, 300)}`);
}
