import { type NpmStandIn, startNpmStandIn } from "@berth/testing";
import { afterEach, describe, expect, test } from "vitest";
import { ProxyError } from "../src/errors.js";
import { createProxyManagerClient, type ProxyHostInput } from "../src/proxy/client.js";

let npm: NpmStandIn | undefined;
afterEach(async () => {
  await npm?.stop();
  npm = undefined;
});

async function setUp(options: { tokenLifetimeMs?: number; now?: () => number } = {}) {
  npm = await startNpmStandIn(
    options.tokenLifetimeMs ? { tokenLifetimeMs: options.tokenLifetimeMs } : {},
  );
  const client = createProxyManagerClient({
    url: npm.url,
    email: npm.email,
    password: npm.password,
    now: options.now,
  });
  return { npm, client };
}

const SHOP: ProxyHostInput = {
  domainNames: ["dev-shop.example.test"],
  forwardScheme: "http",
  forwardHost: "127.0.0.1",
  forwardPort: 18080,
};

async function failure(promise: Promise<unknown>): Promise<ProxyError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ProxyError);
  return error as ProxyError;
}

describe("proxy manager client", () => {
  test("creates, updates and deletes a proxy host", async () => {
    const { npm, client } = await setUp();

    const created = await client.createProxyHost(SHOP);
    const updated = await client.updateProxyHost(created.id, { forwardPort: 18081 });

    expect(updated.forwardPort).toBe(18081);
    expect(npm.proxyHosts()).toHaveLength(1);
    await client.deleteProxyHost(created.id);
    expect(npm.proxyHosts()).toHaveLength(0);
    expect(npm.counts().logins).toBe(1);
  });

  test("finds a host by domain ignoring case across host kinds", async () => {
    const { npm, client } = await setUp();
    const created = await client.createProxyHost(SHOP);
    const redirection = npm.addRedirectionHost(["old-shop.example.test"]);
    const dead = npm.addDeadHost(["gone.example.test"]);

    expect(await client.findHostByDomain("DEV-Shop.example.test")).toEqual({
      kind: "proxy",
      host: { ...SHOP, id: created.id, enabled: true },
    });
    expect(await client.findHostByDomain("old-shop.example.test")).toEqual({
      kind: "redirection",
      id: redirection.id,
      domainNames: ["old-shop.example.test"],
    });
    expect((await client.findHostByDomain("gone.example.test"))?.kind).toBe("dead");
    expect(dead.id).toBeGreaterThan(0);
    expect(await client.findHostByDomain("shop.example.test")).toBeNull();
  });

  test("duplicate domain is a conflict carrying NPM's message", async () => {
    const { client } = await setUp();
    await client.createProxyHost(SHOP);

    const error = await failure(client.createProxyHost(SHOP));

    expect(error.kind).toBe("conflict");
    expect(error.message).toMatch(/dev-shop\.example\.test is already in use/);
  });

  test("invalid domain is rejected with NPM's validation message", async () => {
    const { npm, client } = await setUp();

    const error = await failure(
      client.createProxyHost({ ...SHOP, domainNames: ["shop example.test"] }),
    );

    expect(error.kind).toBe("invalid");
    expect(error.message).toMatch(/domain_names must match pattern \(shop example\.test\)/);
    expect(npm.proxyHosts()).toHaveLength(0);
  });

  test("concurrent first requests share one login", async () => {
    const { npm, client } = await setUp();

    await Promise.all([client.listProxyHosts(), client.listProxyHosts(), client.listProxyHosts()]);

    expect(npm.counts().logins).toBe(1);
  });

  test("logs in again once when the token expired", async () => {
    const { npm, client } = await setUp();
    await client.listProxyHosts();
    npm.expireTokens();

    await client.listProxyHosts();

    expect(npm.counts().logins).toBe(2);
  });

  test("refreshes the token before it runs out", async () => {
    let now = Date.now();
    const { npm, client } = await setUp({ tokenLifetimeMs: 10 * 60 * 1000, now: () => now });
    await client.listProxyHosts();
    now += 6 * 60 * 1000;

    await client.listProxyHosts();

    expect(npm.counts()).toMatchObject({ logins: 1, refreshes: 1 });
  });

  test("wrong password fails once without retrying", async () => {
    npm = await startNpmStandIn();
    const client = createProxyManagerClient({
      url: npm.url,
      email: npm.email,
      password: "wrong",
    });

    const error = await failure(client.listProxyHosts());

    expect(error.kind).toBe("auth");
    expect(error.message).toMatch(/Invalid email or password: check the email and password/);
    expect(npm.counts().logins).toBe(1);
  });

  test("unreachable manager is named with a hint", async () => {
    npm = await startNpmStandIn();
    const url = npm.url;
    await npm.stop();
    npm = undefined;
    const client = createProxyManagerClient({ url, email: "a@b.test", password: "x" });

    const error = await failure(client.listProxyHosts());

    expect(error.kind).toBe("other");
    expect(error.message).toContain(
      `Nginx Proxy Manager at ${url} did not respond to POST /api/tokens`,
    );
    expect(error.message).toMatch(/ECONNREFUSED/);
    expect(error.message).toMatch(
      /check that it is running and that the URL in settings is right$/,
    );
  });

  test("rejects an invalid URL naming it", () => {
    expect(() =>
      createProxyManagerClient({ url: "npm:81 nope", email: "a@b.test", password: "x" }),
    ).toThrow(/invalid Nginx Proxy Manager URL "npm:81 nope"/);
  });
});
