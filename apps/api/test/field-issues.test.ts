import { describe, expect, test } from "vitest";
import { z } from "zod";
import { fieldIssues } from "../src/http/field-issues.js";
import { errorOf, useDatabase } from "./helpers.js";
import { fullApp, signedIn } from "./ops-helpers.js";

const schema = z.object({
  scope: z.enum(["read", "deploy", "admin"]),
  policy: z
    .discriminatedUnion("kind", [
      z.object({ kind: z.literal("semver") }),
      z.object({ kind: z.literal("newest") }),
    ])
    .optional(),
  port: z.number().int().min(1).max(65535).optional(),
  name: z.string().min(1).max(8).optional(),
  mode: z.literal("pull").optional(),
  target: z.union([z.string(), z.number()]).optional(),
  password: z.string().min(12).optional(),
  slug: z
    .string()
    .regex(/^[a-z]+$/, { error: "expected lower-case letters, e.g. shop" })
    .optional(),
  id: z
    .string({ error: (issue) => `expected a project id, got ${JSON.stringify(issue.input)}` })
    .optional(),
  code: z.string({ error: "code is required, e.g. ABC" }),
  range: z
    .object({ from: z.number(), to: z.number() })
    .refine((range) => range.from <= range.to, { error: "from must not exceed to" })
    .optional(),
  url: z.url({ error: (issue) => `invalid URL ${JSON.stringify(issue.input)}` }),
  email: z.email({ error: "expected an email address" }),
});

/** Validates `input` and returns the message of the issue at `path`. */
function messageAt(input: Record<string, unknown>, path: string): string | undefined {
  const result = schema.safeParse(input);
  if (result.success) {
    throw new Error(`expected ${JSON.stringify(input)} to fail validation`);
  }
  return fieldIssues(result.error, input).find((issue) => issue.path === path)?.message;
}

describe("field issue messages", () => {
  test.each([
    {
      name: "enum names value and options",
      input: { scope: "write" },
      path: "scope",
      message: 'expected one of "read", "deploy", "admin", got "write"',
    },
    {
      name: "discriminator names value and kinds",
      input: { scope: "read", policy: { kind: "semvar" } },
      path: "policy.kind",
      message: 'expected one of "semver", "newest", got "semvar"',
    },
    {
      name: "literal names value",
      input: { scope: "read", mode: "push" },
      path: "mode",
      message: 'expected "pull", got "push"',
    },
    {
      name: "type names value",
      input: { scope: "read", port: "80" },
      path: "port",
      message: 'expected number, got "80"',
    },
    {
      name: "missing field says required",
      input: {},
      path: "scope",
      message: 'required, but missing: expected one of "read", "deploy", "admin"',
    },
    {
      name: "missing field drops undefined text",
      input: {},
      path: "url",
      message: "required, but missing: expected string",
    },
    {
      name: "missing field keeps schema expectation",
      input: {},
      path: "email",
      message: "required, but missing: expected an email address",
    },
    {
      name: "null field is not missing",
      input: { scope: null },
      path: "scope",
      message: 'expected one of "read", "deploy", "admin", got null',
    },
    {
      name: "range names number",
      input: { scope: "read", port: 0 },
      path: "port",
      message: "expected number to be >=1, got 0",
    },
    {
      name: "length names length",
      input: { scope: "read", name: "a-long-name" },
      path: "name",
      message: "expected string to have <=8 characters, got 11 characters",
    },
    {
      name: "union names tried types",
      input: { scope: "read", target: true },
      path: "target",
      message: "expected string or number, got true",
    },
    {
      name: "object value by kind",
      input: { scope: ["read"] },
      path: "scope",
      message: 'expected one of "read", "deploy", "admin", got an array',
    },
    {
      name: "password value stays out",
      input: { scope: "read", password: "hunter2" },
      path: "password",
      message: "expected string to have >=12 characters, got 7 characters",
    },
    {
      name: "schema message gets value",
      input: { scope: "read", slug: "Shop" },
      path: "slug",
      message: 'expected lower-case letters, e.g. shop, got "Shop"',
    },
    {
      name: "schema message quoting value kept",
      input: { scope: "read", id: 42 },
      path: "id",
      message: "expected a project id, got 42",
    },
    {
      name: "object refinement keeps message",
      input: { scope: "read", range: { from: 9, to: 1 } },
      path: "range",
      message: "from must not exceed to",
    },
    {
      name: "missing field keeps schema message",
      input: {},
      path: "code",
      message: "code is required, e.g. ABC",
    },
  ])("$name", ({ input, path, message }) => {
    expect(messageAt(input, path)).toBe(message);
  });

  test("long string is cut", () => {
    const message = messageAt({ scope: "x".repeat(200) }, "scope");

    expect(message).toContain(`got "${"x".repeat(60)}…"`);
    expect(message).not.toContain("x".repeat(61));
  });

  test("password type error hides value", () => {
    const message = messageAt({ scope: "read", password: 123456789012 }, "password");

    expect(message).toBe("expected string, got a number");
  });

  test("without input zod messages stay", () => {
    const result = schema.safeParse({ scope: "write" });
    if (result.success) throw new Error("expected the scope to fail validation");

    const [issue] = fieldIssues(result.error);

    expect(issue?.message).toBe(result.error.issues[0]?.message);
  });
});

describe("unrecognized key messages", () => {
  const strict = z.strictObject({
    npmUrl: z.string().optional(),
    npmEmail: z.string().optional(),
    npmPassword: z.string().optional(),
    pollCron: z.string().optional(),
    nested: z.strictObject({ baseDomain: z.string().optional() }).optional(),
  });
  const accepted = '"npmUrl", "npmEmail", "npmPassword", "pollCron", "nested"';

  function unrecognizedMessage(input: Record<string, unknown>, path = "(body)") {
    const result = strict.safeParse(input);
    if (result.success) {
      throw new Error(`expected ${JSON.stringify(input)} to fail validation`);
    }
    return fieldIssues(result.error, input).find((issue) => issue.path === path)?.message;
  }

  test.each([
    {
      name: "prefix suggests closest keys",
      input: { npm: "http://npm.example.test" },
      message: `unrecognized key "npm": did you mean "npmUrl", "npmEmail" or "npmPassword"? The accepted keys are ${accepted}`,
    },
    {
      name: "case slip suggests key",
      input: { pollcron: "* * * * *" },
      message: `unrecognized key "pollcron": did you mean "pollCron"? The accepted keys are ${accepted}`,
    },
    {
      name: "typo suggests key",
      input: { npmEmial: "a@example.test" },
      message: `unrecognized key "npmEmial": did you mean "npmEmail"? The accepted keys are ${accepted}`,
    },
    {
      name: "no match lists accepted keys",
      input: { colour: "red" },
      message: `unrecognized key "colour": the accepted keys are ${accepted}`,
    },
    {
      name: "many keys are counted",
      input: { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7 },
      message: `unrecognized keys "a", "b", "c", "d", "e" and 2 more: the accepted keys are ${accepted}`,
    },
  ])("$name", ({ input, message }) => {
    expect(unrecognizedMessage(input)).toBe(message);
  });

  test("nested object lists its own keys", () => {
    const message = unrecognizedMessage({ nested: { domain: "x" } }, "nested");

    expect(message).toBe(
      'unrecognized key "domain": did you mean "baseDomain"? The accepted keys are "baseDomain"',
    );
  });

  test("long key is cut", () => {
    const message = unrecognizedMessage({ ["k".repeat(500)]: 1 });

    expect(message).toContain(`"${"k".repeat(60)}…"`);
    expect(message).not.toContain("k".repeat(61));
  });
});

describe("validation errors over HTTP", () => {
  const database = useDatabase("pglite");

  async function signedInAdmin() {
    const handle = database();
    return signedIn(fullApp(handle), handle, "admin");
  }

  test("token scope names the value", async () => {
    const admin = await signedInAdmin();

    const response = await admin("POST", "/tokens", { name: "ci", scope: "write" });

    expect(response.status).toBe(422);
    const error = await errorOf(response);
    expect(error.details?.issues?.[0]?.path).toBe("scope");
    expect(error.message).toContain('"write"');
    expect(error.message).toContain('"read", "deploy", "admin"');
  });

  test("stage policy kind names the value", async () => {
    const admin = await signedInAdmin();

    const response = await admin("POST", "/stages", {
      projectId: "00000000-0000-4000-8000-000000000000",
      name: "dev",
      policy: { kind: "semvar" },
    });

    expect(response.status).toBe(422);
    const error = await errorOf(response);
    const issue = error.details?.issues?.find((entry) => entry.path === "policy.kind");
    expect(issue?.message).toContain('got "semvar"');
    expect(issue?.message).toContain('"semver", "numeric", "alphabetical", "newest", "digest"');
  });

  test("deploy query names the value", async () => {
    const admin = await signedInAdmin();

    const response = await admin("GET", "/deploys?status=done");

    expect(response.status).toBe(422);
    const error = await errorOf(response);
    expect(error.details?.issues?.[0]?.path).toBe("status");
    expect(error.message).toContain('got "done"');
  });
});
