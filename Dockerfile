# One image for every sensorstream service; the command picks the service:
#   docker run sensorstream gateway            (or: node services/gateway/dist/main.js)
#   docker run sensorstream simulator --help
# Build:  docker build -t sensorstream:dev .
# See docs/deployment.md.

ARG NODE_VERSION=22

FROM node:${NODE_VERSION}-alpine AS base
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

# Only the package manifests, at their paths: the `npm ci` layer below is then reused until a
# package.json or the lockfile changes, not on every source edit.
FROM base AS manifests
COPY . /src
RUN cd /src \
 && find . -name package.json -not -path "*/node_modules/*" \
      -exec sh -c 'mkdir -p "/manifests/$(dirname "$1")" && cp "$1" "/manifests/$1"' _ {} \; \
 && cp package-lock.json /manifests/

FROM base AS build
COPY --from=manifests /manifests/ ./
RUN npm ci
COPY . .
RUN npm run build \
 && npm prune --omit=dev \
 # What the runtime stage needs, at the same paths: workspace links in node_modules point at
 # libs/* and services/*, and @sensorstream/db reads its SQL migrations from libs/db/migrations.
 && mkdir /out \
 && tar -cf - package.json node_modules libs/*/package.json libs/*/dist libs/db/migrations \
      services/*/package.json services/*/dist | tar -xf - -C /out \
 && rm -f /out/node_modules/@sensorstream/test \
 && find /out -name "*.tsbuildinfo" -delete

FROM base AS runtime
# A larger young generation: fewer scavenges under message load (docs/performance.md), as npm start does.
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-semi-space-size=32
COPY --from=build /out/ ./
COPY --chmod=0755 deploy/docker/entrypoint.sh /usr/local/bin/sensorstream
COPY --chmod=0644 deploy/docker/healthcheck.mjs /app/healthcheck.mjs
# `sensorstream migrate --grants /app/grants.sql`: the Kubernetes init container (least-privilege roles).
COPY --chmod=0644 deploy/docker/migrate.mjs /app/migrate.mjs
COPY --chmod=0644 deploy/postgres/grants.sql /app/grants.sql
# The image's `node` user (uid 1000); files stay root-owned and read-only to it.
USER node
EXPOSE 8080 1883 8083
# Liveness only (never RabbitMQ or PostgreSQL): `/readyz` is for orchestrators that route traffic.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 CMD ["node", "/app/healthcheck.mjs", "/healthz"]
ENTRYPOINT ["sensorstream"]
CMD ["help"]
