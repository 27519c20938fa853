import { describe, expect, test } from "vitest";
import { apiUrl, unwrap } from "./client.js";
import { errorFromResponse, fieldErrorsOf } from "./errors.js";

describe("apiUrl", () => {
  test("drops empty query values", () => {
    expect(
      apiUrl("/deploys", { status: "failed", stageId: "", trigger: undefined, limit: 50 }),
    ).toBe("/api/v1/deploys?status=failed&limit=50");
  });

  test("encodes repository paths", () => {
    expect(apiUrl("/registries/r1/tags", { repository: "acme/shop" })).toBe(
      "/api/v1/registries/r1/tags?repository=acme%2Fshop",
    );
  });
});

describe("unwrap", () => {
  test("takes the named payload", () => {
    expect(unwrap<number[]>({ projects: [1, 2] }, "projects")).toEqual([1, 2]);
  });

  test("passes a bare value through", () => {
    expect(unwrap<number[]>([1], "projects")).toEqual([1]);
    expect(unwrap<{ id: string }>({ id: "a" }, "project")).toEqual({ id: "a" });
  });
});

describe("errorFromResponse", () => {
  test("keeps the API's code, message and details", () => {
    const error = errorFromResponse("POST", "/api/v1/projects", 422, {
      error: {
        code: "validation_failed",
        message: "invalid request: slug: use 1-63 lowercase letters",
        details: { issues: [{ path: "slug", message: "use 1-63 lowercase letters" }] },
      },
    });
    expect(error.status).toBe(422);
    expect(error.code).toBe("validation_failed");
    expect(error.message).toBe("invalid request: slug: use 1-63 lowercase letters");
    expect(error.fieldErrors).toEqual({ slug: "use 1-63 lowercase letters" });
  });

  test("names the request when the body is not the error shape", () => {
    const error = errorFromResponse("GET", "/api/v1/projects", 502, "<html>Bad gateway</html>");
    expect(error.code).toBe("http_502");
    expect(error.message).toContain("GET /api/v1/projects failed with HTTP 502");
  });
});

describe("fieldErrorsOf", () => {
  test("keeps the first message per path", () => {
    const errors = fieldErrorsOf({
      issues: [
        { path: "policy.range", message: "first" },
        { path: "policy.range", message: "second" },
        { path: 3, message: "not a path" },
      ],
    });
    expect(errors).toEqual({ "policy.range": "first" });
  });

  test("returns nothing for other details", () => {
    expect(fieldErrorsOf(null)).toEqual({});
    expect(fieldErrorsOf({ constraint: "projects_slug_key" })).toEqual({});
  });
});
