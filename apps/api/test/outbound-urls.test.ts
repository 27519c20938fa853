import { describe, expect, test } from "vitest";
import { errorOf, json, useDatabase } from "./helpers.js";
import { fullApp, seedProject, signedIn } from "./ops-helpers.js";

const BAD_URLS = ["ftp://files.example.test/", "file:///etc/passwd", "javascript:alert(1)"];

type Ids = Awaited<ReturnType<typeof seedProject>>;

/** Every save that takes an outbound URL: the request, and where to read the stored value. */
const SAVES = [
  {
    name: "registry url on create",
    method: "POST",
    path: () => "/registries",
    body: (url: string) => ({ name: "other", type: "oci", url }),
    read: () => "/registries",
  },
  {
    name: "registry url on change",
    method: "PATCH",
    path: (ids: Ids) => `/registries/${ids.registry.id}`,
    body: (url: string) => ({ url }),
    read: (ids: Ids) => `/registries/${ids.registry.id}`,
  },
  {
    name: "project notificationUrl",
    method: "PATCH",
    path: (ids: Ids) => `/projects/${ids.project.id}`,
    body: (notificationUrl: string) => ({ notificationUrl }),
    read: (ids: Ids) => `/projects/${ids.project.id}`,
  },
  {
    name: "stage notificationUrl",
    method: "PATCH",
    path: (ids: Ids) => `/stages/${ids.dev.id}`,
    body: (notificationUrl: string) => ({ notificationUrl }),
    read: (ids: Ids) => `/stages/${ids.dev.id}`,
  },
  {
    name: "settings npmUrl",
    method: "PATCH",
    path: () => "/settings",
    body: (npmUrl: string) => ({ npmUrl }),
    read: () => "/settings",
  },
  {
    name: "settings notificationUrl",
    method: "PATCH",
    path: () => "/settings",
    body: (notificationUrl: string) => ({ notificationUrl }),
    read: () => "/settings",
  },
];

describe("outbound URLs on save", () => {
  const database = useDatabase("pglite");
  const cases = SAVES.flatMap((save) => BAD_URLS.map((url) => ({ ...save, url })));

  test.each(cases)("$name rejects $url", async (save) => {
    const handle = database();
    const ids = await seedProject(handle);
    const admin = await signedIn(fullApp(handle), handle, "admin");
    const before = await (await admin("GET", save.read(ids))).text();

    const response = await admin(save.method, save.path(ids), save.body(save.url));

    expect(response.status).toBe(422);
    const messages = (await errorOf(response)).details?.issues?.map((issue) => issue.message);
    expect(messages).toContain(`invalid URL "${save.url}": use an http:// or https:// URL`);
    expect(await (await admin("GET", save.read(ids))).text()).toBe(before);
  });

  test.each(SAVES)("$name accepts https", async (save) => {
    const handle = database();
    const ids = await seedProject(handle);
    const admin = await signedIn(fullApp(handle), handle, "admin");

    const response = await admin(save.method, save.path(ids), save.body("https://x.test/hook"));

    expect(response.status).toBeLessThan(300);
    expect(JSON.stringify(await json(response))).toContain("https://x.test/hook");
  });
});
