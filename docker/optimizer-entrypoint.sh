#!/bin/sh
# Command of the Optimizer container (docker-compose.yml, Dockerfile); the tests run this very
# script outside containers against local PostgreSQL/Redis (test/optimizer/scale/).
# Configuration is the environment: docs/deployment.md. Migrations run at start (app.ts).
set -eu
APP_HOME="${ONESHOT_HOME:-/app}"
cd "$APP_HOME"
# The shared data dir (blobs, master key, webhook secret, settings) must exist and be writable.
mkdir -p "${ONESHOT_DATA_DIR:-/var/lib/oneshot}"
exec node bin/oneshot.mjs optimizer
