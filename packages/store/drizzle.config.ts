import { defineConfig } from "drizzle-kit";

// Only used to generate migrations (`pnpm --filter @berth/store db:generate`); Berth applies
// them itself at start-up.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/schema.ts",
  out: "./drizzle",
});
