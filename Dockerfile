# syntax=docker/dockerfile:1
# AgentDesk service image. Stage 1 installs production dependencies from the lockfile, whose
# install scripts run as usual (the embedded PostgreSQL's among them), and npm's "prepare" compiles
# src/ into build/ (scripts/build-server.mjs; TypeScript is a production dependency). Stage 2 is the
# runtime: the compiled JavaScript run by plain node (as `npm start` does), OpenTelemetry loaded with
# --import before the app, a non-root user and a readiness healthcheck.

FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY scripts/build-server.mjs scripts/
COPY src src
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
# Everything else the service needs (sql/, views/, public/, releases/, …); .dockerignore keeps
# tests and local data out.
COPY . .
COPY --from=deps /app/build ./build
RUN mkdir -p /data && chown node:node /data
# The official image's unprivileged user. With DATABASE_URL unset it also runs the embedded
# PostgreSQL (data in /data/postgres, a unix socket there, no TCP port); as root it would use a
# dedicated system user instead.
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--import", "./build/telemetry.js", "build/main.js"]
