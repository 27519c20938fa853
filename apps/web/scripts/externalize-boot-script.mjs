// Moves SvelteKit's inline start-up script out of the built index.html into a file under
// _app/, so the page runs under the API's Content-Security-Policy `default-src 'self'`,
// which blocks inline scripts. The script stays a classic (non-module) script, because it
// finds its mount point through `document.currentScript`, which module scripts do not set.
import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";

const buildDir = path.resolve(process.argv[2] ?? "build");
const pagePath = path.join(buildDir, "index.html");
const html = await readFile(pagePath, "utf8");

const inline = /<script>([\s\S]*?)<\/script>/g;
const scripts = [...html.matchAll(inline)];
if (scripts.length === 0) {
  throw new Error(
    `${pagePath} has no inline script: the SvelteKit output changed, check this script`,
  );
}

let page = html;
for (const [whole, body] of scripts) {
  const hash = createHash("sha256").update(body).digest("hex").slice(0, 12);
  const name = `_app/boot-${hash}.js`;
  await writeFile(path.join(buildDir, name), body);
  page = page.replace(whole, `<script src="/${name}"></script>`);
}
await writeFile(pagePath, page);
process.stdout.write(
  `moved ${scripts.length} inline script(s) of ${pagePath} into _app/boot-*.js\n`,
);
