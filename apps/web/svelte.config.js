import adapter from "@sveltejs/adapter-static";
import { vitePreprocess } from "@sveltejs/vite-plugin-svelte";

/** The route announcer's inline `style` attribute in SvelteKit's generated root component. */
const ANNOUNCER_STYLE = /(<div id="svelte-announcer"[^>]*?)\s+style="[^"]*"/;

/**
 * Removes the inline style from the route announcer that SvelteKit (2.70) writes into
 * `.svelte-kit/generated/root.svelte`. The API's `Content-Security-Policy: default-src 'self'`
 * blocks inline styles, and Chromium logs a violation for it on every page load. app.css gives
 * `#svelte-announcer` the same rules.
 */
const announcerWithoutInlineStyle = {
  name: "announcer-without-inline-style",
  markup({ content, filename }) {
    if (!filename?.replaceAll("\\", "/").endsWith(".svelte-kit/generated/root.svelte")) {
      return undefined;
    }
    const code = content.replace(ANNOUNCER_STYLE, "$1");
    if (code === content) {
      throw new Error(
        `${filename} has no route announcer with an inline style: SvelteKit changed its root component. If the announcer has no inline style any more, remove this preprocessor from svelte.config.js; otherwise update ANNOUNCER_STYLE and the #svelte-announcer rule in app.css`,
      );
    }
    return { code };
  },
};

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: [announcerWithoutInlineStyle, vitePreprocess()],
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
