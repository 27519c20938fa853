import { sveltekit } from "@sveltejs/kit/vite";
import { defaultClientConditions, defineConfig } from "vite";

export default defineConfig({
  plugins: [sveltekit()],
  // Read workspace packages from their TypeScript sources, as the rest of the monorepo does.
  resolve: { conditions: ["@berth/source", ...defaultClientConditions] },
  server: {
    // `pnpm dev` forwards API calls to a local `berth serve` on its default port.
    proxy: { "/api": "http://127.0.0.1:8080" },
  },
});
