import { describe, expect, test } from "vitest";
import { proposeQuickDeploy, withTag } from "./quick-deploy.js";

describe("withTag", () => {
  test.each([
    ["127.0.0.1:5000/acme/shop:1.0", "1.2", "127.0.0.1:5000/acme/shop:1.2"],
    ["127.0.0.1:5000/acme/shop", "1.2", "127.0.0.1:5000/acme/shop:1.2"],
    ["ghcr.io/acme/shop@sha256:abc", "2.0", "ghcr.io/acme/shop:2.0"],
    ["nginx", "1.27", "nginx:1.27"],
  ])("%s with %s is %s", (image, tag, expected) => {
    expect(withTag(image, tag)).toBe(expected);
  });
});

describe("proposeQuickDeploy", () => {
  test("takes slug, tag and port from the image", () => {
    const proposal = proposeQuickDeploy({
      registryId: "r1",
      repository: "acme/Web_Shop",
      tag: null,
      tags: ["1.2.0", "1.1.0"],
      exposedPorts: ["8080/tcp", "9090/tcp"],
      labels: null,
      note: null,
    });
    expect(proposal).toEqual({
      slug: "web-shop",
      stage: "dev",
      tag: "1.2.0",
      containerPort: "8080",
    });
  });

  test("keeps the pasted tag and leaves the port empty without ports", () => {
    const proposal = proposeQuickDeploy({
      registryId: "r1",
      repository: "shop",
      tag: "1.0.0",
      tags: ["1.2.0", "1.0.0"],
      exposedPorts: null,
      labels: null,
      note: "no engine",
    });
    expect(proposal.tag).toBe("1.0.0");
    expect(proposal.containerPort).toBe("");
  });
});
