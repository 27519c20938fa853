import { fileURLToPath } from "node:url";

/**
 * Absolute path of the static build (`apps/web/build`), written by `pnpm --filter @berth/web
 * build`. Both the source entry and the compiled `dist/` entry sit one level below the
 * package folder, so the same relative URL works from either.
 */
export const dashboardDir: string = fileURLToPath(new URL("../build/", import.meta.url));
