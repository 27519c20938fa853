// The dashboard is a single-page app: no server rendering, no prerendered pages. The static
// build's index.html boots it for every route.
export const ssr = false;
export const prerender = false;
