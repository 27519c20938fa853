import { goto } from "$app/navigation";
import { auth } from "./api/index.js";
import type { User } from "./types.js";

/** The signed-in user, or `null` before the session check and after signing out. */
export const session = $state<{ user: User | null; checked: boolean; notice: string }>({
  user: null,
  checked: false,
  notice: "",
});

/** Loads the user behind the session cookie; a 401 leaves `user` null. */
export async function loadSession(): Promise<void> {
  try {
    const { user } = await auth.me();
    session.user = user;
  } catch {
    session.user = null;
  } finally {
    session.checked = true;
  }
}

/**
 * Sends the browser to the sign-in page, keeping the current page to return to after
 * signing in and a notice with the reason, such as an expired session.
 */
export async function requireSignIn(notice: string): Promise<void> {
  session.user = null;
  session.notice = notice;
  const here = `${location.pathname}${location.search}`;
  const next = here.startsWith("/login") ? "/" : here;
  await goto(`/login?next=${encodeURIComponent(next)}`, { replaceState: true });
}

/** Tells whether the user's role may change things (operators and admins). */
export function canOperate(): boolean {
  return session.user?.role === "admin" || session.user?.role === "operator";
}

export function isAdmin(): boolean {
  return session.user?.role === "admin";
}
