# One-Shot Optimizer image (docker-compose.yml service "optimizer"). TypeScript runs through tsx
# (a runtime dependency), so the image is the sources plus production node_modules.
# Build: docker build -t oneshot-optimizer .      Configuration: docs/deployment.md.

FROM node:20-bookworm-slim AS deps
# Native modules (better-sqlite3, pkcs11js) compile here; the runtime stage gets the results only.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    ONESHOT_HOME=/app \
    ONESHOT_DATA_DIR=/var/lib/oneshot \
    OPTIMIZER_HOST=0.0.0.0 \
    OPTIMIZER_PORT=8080
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY assets ./assets
COPY docker/optimizer-entrypoint.sh /usr/local/bin/optimizer-entrypoint.sh
COPY docker/healthcheck.mjs /app/docker/healthcheck.mjs
RUN useradd --system --uid 10001 --home-dir /var/lib/oneshot oneshot \
 && mkdir -p /var/lib/oneshot && chown oneshot:oneshot /var/lib/oneshot \
 && chmod 0755 /usr/local/bin/optimizer-entrypoint.sh
USER oneshot
# Blobs, master key, webhook secret, settings (and the SQLite file when DATABASE_URL is unset).
# Several Optimizers share this volume.
VOLUME ["/var/lib/oneshot"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 CMD ["node", "/app/docker/healthcheck.mjs", "optimizer"]
ENTRYPOINT ["/usr/local/bin/optimizer-entrypoint.sh"]
