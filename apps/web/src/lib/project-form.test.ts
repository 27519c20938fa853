import { describe, expect, test } from "vitest";
import { projectToBody } from "./project-form.js";
import type { ProjectForm } from "./validation.js";

const form: ProjectForm = {
  slug: "shop",
  name: " Shop ",
  registryId: "registry-1",
  repository: "acme/shop",
  notificationUrl: " https://hooks.example.test/berth ",
};

describe("projectToBody", () => {
  test("sends the trimmed notification URL for admins", () => {
    expect(projectToBody(form, { includeNotificationUrl: true })).toEqual({
      slug: "shop",
      name: "Shop",
      registryId: "registry-1",
      repository: "acme/shop",
      notificationUrl: "https://hooks.example.test/berth",
    });
  });

  test("sends an empty notification URL as null", () => {
    const body = projectToBody({ ...form, notificationUrl: " " }, { includeNotificationUrl: true });
    expect(body.notificationUrl).toBeNull();
  });

  test("leaves notification URL out for non-admins", () => {
    const body = projectToBody(form, { includeNotificationUrl: false });
    expect(body).not.toHaveProperty("notificationUrl");
    expect(body.slug).toBe("shop");
  });
});
