import {
  createUser,
  deleteUser,
  deleteUserSessions,
  listUsers,
  USER_ROLES,
  type UserPatch,
  updateUser,
} from "@berth/store";
import { Hono } from "hono";
import { z } from "zod";
import { readJsonBody } from "../http/body.js";
import { ApiError } from "../http/errors.js";
import { audit } from "./audit.js";
import { hashPassword } from "./crypto.js";
import { MIN_PASSWORD_LENGTH } from "./first-admin.js";
import { requireAuth } from "./middleware.js";
import type { AuthEnv } from "./principal.js";
import type { AuthRoutesDeps } from "./types.js";

export const createUserSchema = z.object({
  username: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/, "use 1-64 letters, digits, '.', '_', '@' or '-'"),
  password: z.string().min(MIN_PASSWORD_LENGTH).max(1024),
  role: z.enum(USER_ROLES),
});

export const updateUserSchema = z
  .object({
    role: z.enum(USER_ROLES),
    disabled: z.boolean(),
    password: z.string().min(MIN_PASSWORD_LENGTH).max(1024),
  })
  .partial();

export const idParam = z.uuid();

/** Parses an id path parameter; an id that is not a UUID cannot exist, so it is a 404. */
export function parseId(kind: string, value: string): string {
  const parsed = idParam.safeParse(value);
  if (!parsed.success) {
    throw new ApiError("not_found", `${kind} ${value} not found: ids are UUIDs`);
  }
  return parsed.data;
}

/** Routes under `/api/v1/users`, for admins: list, create, update (role, disabled, password), delete. */
export function userRoutes(deps: AuthRoutesDeps): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.use(requireAuth(deps, "admin"));

  app.get("/", async (c) => c.json({ users: await listUsers(deps.db) }));

  app.post("/", async (c) => {
    const body = await readJsonBody(c, createUserSchema);
    const user = await deps.db.transaction(async (tx) => {
      const created = await createUser(tx, {
        username: body.username,
        passwordHash: await hashPassword(body.password),
        role: body.role,
      });
      await audit(
        tx,
        c.get("principal"),
        "user.create",
        { type: "user", id: created.id },
        {
          username: created.username,
          role: created.role,
        },
      );
      return created;
    });
    return c.json({ user }, 201);
  });

  app.patch("/:id", async (c) => {
    const id = parseId("user", c.req.param("id"));
    const principal = c.get("principal");
    const body = await readJsonBody(c, updateUserSchema);
    if (id === principal.userId && (body.role !== undefined || body.disabled === true)) {
      throw new ApiError(
        "conflict",
        "you cannot change your own role or disable yourself: ask another admin",
      );
    }

    const patch: UserPatch = {};
    if (body.role !== undefined) patch.role = body.role;
    if (body.disabled !== undefined) patch.disabled = body.disabled;
    if (body.password !== undefined) patch.passwordHash = await hashPassword(body.password);
    const user = await deps.db.transaction(async (tx) => {
      const updated = await updateUser(tx, id, patch);
      if (body.disabled === true || body.password !== undefined) {
        await deleteUserSessions(tx, id);
      }
      // Field names only: the password must not reach the audit log.
      await audit(
        tx,
        principal,
        "user.update",
        { type: "user", id },
        { fields: Object.keys(body) },
      );
      return updated;
    });
    return c.json({ user });
  });

  app.delete("/:id", async (c) => {
    const id = parseId("user", c.req.param("id"));
    const principal = c.get("principal");
    if (id === principal.userId) {
      throw new ApiError("conflict", "you cannot delete your own user: ask another admin");
    }
    await deps.db.transaction(async (tx) => {
      const deleted = await deleteUser(tx, id);
      await audit(
        tx,
        principal,
        "user.delete",
        { type: "user", id },
        { username: deleted.username },
      );
    });
    return c.body(null, 204);
  });

  return app;
}
