# swivel as a container (and a Kubernetes sidecar: see deploy/kubernetes/).
# Multi-stage: compile TypeScript with the dev dependencies, ship only dist/ and the runtime ones.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are copied.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    # Probes and Prometheus reach the admin port from outside the container, so it listens on all
    # addresses; the proxy ports stay on loopback (a sidecar's app shares the pod's loopback).
    # Set SWIVEL_ADMIN_AUTH to guard /metrics and /status (the probes stay open).
    SWIVEL_ADMIN_PORT=9090 \
    SWIVEL_ADMIN_HOST=0.0.0.0 \
    SWIVEL_DRAIN_TIMEOUT=20s
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# The image's unprivileged user (uid 1000); nothing here needs root.
USER node
EXPOSE 8080 1080 9090
# Node's own fetch: the slim image has no curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.SWIVEL_ADMIN_PORT||9090)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Exec form: swivel is PID 1 and gets SIGTERM itself; it drains for SWIVEL_DRAIN_TIMEOUT, and a
# second signal ends it at once.
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["serve"]
