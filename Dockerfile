# syntax=docker/dockerfile:1
# Berth's server with its dashboard. Build from the repository root:
#   docker build -t berth .
# Run it with compose.yaml, or alone on the embedded database:
#   docker run -p 8080:8080 -v berth-data:/data -v /var/run/docker.sock:/var/run/docker.sock berth

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
RUN corepack enable
COPY . .
RUN pnpm install --frozen-lockfile
RUN pnpm exec turbo run build --filter=@berth/api... --filter=@berth/web
# Keep only what the server needs at run time: production dependencies and the builds.
RUN find . -name node_modules -type d -prune -exec rm -rf {} + \
  && pnpm install --frozen-lockfile --prod --offline --filter "@berth/api..."

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    BERTH_HOST=0.0.0.0 \
    BERTH_PORT=8080 \
    BERTH_DATA_DIR=/data \
    BERTH_WEB_DIR=/app/apps/web/build
WORKDIR /app
COPY --from=build /app/package.json /app/pnpm-workspace.yaml ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/packages ./packages
COPY --from=build /app/apps/api ./apps/api
COPY --from=build /app/apps/web/build ./apps/web/build
# The image's own `node` user (uid 1000) runs Berth; /data is its only writable folder.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.BERTH_PORT || 8080) + '/api/v1/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "apps/api/dist/bin.js"]
CMD ["serve"]
