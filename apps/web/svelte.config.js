import adapter from "@sveltejs/adapter-static";
import { vitePreprocess } from "@sveltejs/vite-plugin-svelte";

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  kit: {
    // A single-page app: every client route falls back to index.html, which the server
    // returns for any path that is not a file and not under /api.
    adapter: adapter({ pages: "build", assets: "build", fallback: "index.html", strict: false }),
    // Absolute asset paths, so the fallback page works at any depth such as /deploys/<id>.
    paths: { relative: false },
    alias: { $lib: "src/lib" },
  },
};

export default config;
