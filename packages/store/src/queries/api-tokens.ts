import { and, desc, eq, gt, isNull, or } from "drizzle-orm";
import { notFound, toStoreError } from "../errors.js";
import { apiTokens, projects, type TokenScope, type UserRole, users } from "../schema.js";
import type { Executor } from "./candidates.js";

/** An API token as the API lists it: never the token or its hash. */
export interface ApiTokenSummary {
  id: string;
  name: string;
  prefix: string;
  scope: TokenScope;
  userId: string;
  /** The one project the token may reach, or null for every project. */
  projectId: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

/** The token and its owner, for authenticating a request. */
export interface TokenOwner {
  tokenId: string;
  tokenName: string;
  scope: TokenScope;
  userId: string;
  username: string;
  role: UserRole;
  /** The project the token is limited to, or null for every project. */
  project: { id: string; slug: string } | null;
}

const summaryColumns = {
  id: apiTokens.id,
  name: apiTokens.name,
  prefix: apiTokens.prefix,
  scope: apiTokens.scope,
  userId: apiTokens.userId,
  projectId: apiTokens.projectId,
  createdAt: apiTokens.createdAt,
  lastUsedAt: apiTokens.lastUsedAt,
  expiresAt: apiTokens.expiresAt,
  revokedAt: apiTokens.revokedAt,
};

export interface NewApiToken {
  name: string;
  /** SHA-256 of the token, hex. */
  tokenHash: string;
  prefix: string;
  scope: TokenScope;
  userId: string;
  /** Limits the token to one project; null or missing lets it reach every project. */
  projectId?: string | null;
  expiresAt: Date | null;
}

export async function createApiToken(db: Executor, token: NewApiToken): Promise<ApiTokenSummary> {
  try {
    const [row] = await db.insert(apiTokens).values(token).returning(summaryColumns);
    if (!row) {
      throw notFound("api_tokens", token.name);
    }
    return row;
  } catch (error) {
    throw toStoreError(error);
  }
}

/** Lists tokens, newest first: one user's, or everyone's when `userId` is undefined. */
export async function listApiTokens(
  db: Executor,
  userId: string | undefined,
): Promise<ApiTokenSummary[]> {
  const query = db.select(summaryColumns).from(apiTokens);
  const filtered = userId ? query.where(eq(apiTokens.userId, userId)) : query;
  return filtered.orderBy(desc(apiTokens.createdAt));
}

export async function getApiToken(db: Executor, id: string): Promise<ApiTokenSummary> {
  const [row] = await db.select(summaryColumns).from(apiTokens).where(eq(apiTokens.id, id));
  if (!row) {
    throw notFound("api token", id);
  }
  return row;
}

/**
 * Finds the owner of a live token (not revoked, not expired, owner enabled) and records its
 * use. Returns `undefined` otherwise.
 */
export async function useApiToken(
  db: Executor,
  tokenHash: string,
  now: Date,
): Promise<TokenOwner | undefined> {
  const [row] = await db
    .select({
      tokenId: apiTokens.id,
      tokenName: apiTokens.name,
      scope: apiTokens.scope,
      userId: users.id,
      username: users.username,
      role: users.role,
      projectId: projects.id,
      projectSlug: projects.slug,
    })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .leftJoin(projects, eq(projects.id, apiTokens.projectId))
    .where(
      and(
        eq(apiTokens.tokenHash, tokenHash),
        isNull(apiTokens.revokedAt),
        or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, now)),
        eq(users.disabled, false),
      ),
    );
  if (!row) {
    return undefined;
  }
  await db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, row.tokenId));
  const { projectId, projectSlug, ...owner } = row;
  const project = projectId && projectSlug ? { id: projectId, slug: projectSlug } : null;
  return { ...owner, project };
}

/** Marks a token revoked; revoking twice keeps the first time. Raises `not_found` for an unknown id. */
export async function revokeApiToken(
  db: Executor,
  id: string,
  now: Date,
): Promise<ApiTokenSummary> {
  const token = await getApiToken(db, id);
  if (token.revokedAt) {
    return token;
  }
  const [row] = await db
    .update(apiTokens)
    .set({ revokedAt: now })
    .where(eq(apiTokens.id, id))
    .returning(summaryColumns);
  return row ?? token;
}
