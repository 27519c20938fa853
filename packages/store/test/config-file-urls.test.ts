import { describe, expect, test } from "vitest";
import { ConfigFileError, parseConfigFile } from "../src/config-file/parse.js";

/** One file per URL field, with `URL` where the value goes. */
const FILES = [
  {
    field: "registries[0].url",
    text: `registries: [{ name: local, type: oci, url: "URL" }]`,
  },
  {
    field: "settings.npm.url",
    text: `settings: { npm: { url: "URL", email: admin@example.test } }`,
  },
  {
    field: "settings.notification_url",
    text: `settings: { notification_url: "URL" }`,
  },
  {
    field: "projects[0].notification_url",
    text: `projects: [{ slug: shop, registry: local, repository: acme/shop, notification_url: "URL" }]`,
  },
  {
    field: "projects[0].stages[0].notification_url",
    text: `projects: [{ slug: shop, registry: local, repository: acme/shop, stages: [{ name: dev, policy: { kind: newest }, notification_url: "URL" }] }]`,
  },
];

const BAD_URLS = ["ftp://files.example.test/", "file:///etc/passwd", "gopher://127.0.0.1:70/"];

describe("outbound URLs in a config file", () => {
  const cases = FILES.flatMap((file) => BAD_URLS.map((url) => ({ ...file, url })));

  test.each(cases)("$field rejects $url", ({ field, text, url }) => {
    const parse = () => parseConfigFile(text.replace("URL", url), "berth.yaml");

    expect(parse).toThrow(ConfigFileError);
    expect(parse).toThrow(`${field}: invalid URL "${url}": use an http:// or https:// URL`);
  });

  test.each(FILES)("$field accepts https", ({ text }) => {
    const parsed = parseConfigFile(text.replace("URL", "https://hooks.example.test/x"), "b.yaml");

    expect(JSON.stringify(parsed)).toContain("https://hooks.example.test/x");
  });
});
