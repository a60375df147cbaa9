#!/usr/bin/env bash
# Installs the external tools the tests use as oracles and starts the services they talk to.
# Idempotent; safe to run on a developer machine (skips what is already there).
set -euo pipefail
APT_PKGS="openssl curl poppler-utils qpdf softhsm2 opensc redis-server postgresql libnss3-tools ghostscript \
libpdfbox2-java libbcpkix-java libbcprov-java libbcutil-java default-jdk-headless netpbm chromium docker-compose nginx"
need=()
for p in $APT_PKGS; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "setup-test-env: missing packages ${need[*]} and no root/sudo to install them" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y --no-install-recommends "${need[@]}" >/dev/null \
    || { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y --no-install-recommends "${need[@]}" >/dev/null; }
fi
# Redis on 127.0.0.1:6379 (for trying REDIS_URL by hand; the tests start their own redis-server on free ports so they can kill it).
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /tmp --logfile /tmp/oneshot-redis.log
  for _ in $(seq 1 50); do redis-cli ping >/dev/null 2>&1 && break; sleep 0.1; done
fi
# PostgreSQL: the tests use the oneshot_test role on 127.0.0.1:5432 unless TEST_DATABASE_URL is set.
if ! pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
  ver=$(ls /etc/postgresql 2>/dev/null | sort -n | tail -1)
  if [ -n "$ver" ]; then
    pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  fi
  for _ in $(seq 1 100); do pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1 && break; sleep 0.1; done
fi
# The tests' role (test/support/test-database-url.ts): created through the postgres OS account
# (Debian's peer auth on the socket) when it cannot log in yet. Its password works where pg_hba
# asks for scram-sha-256 on 127.0.0.1; it may only create databases, nothing more.
if [ -z "${TEST_DATABASE_URL:-}" ] && \
   ! psql "postgres://oneshot_test:oneshot_test@127.0.0.1:5432/postgres" -tAc 'select 1' >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then AS_PG="runuser -u postgres --"; else AS_PG="sudo -u postgres"; fi
  $AS_PG psql -v ON_ERROR_STOP=1 -qc "DO \$\$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'oneshot_test') THEN
        CREATE ROLE oneshot_test LOGIN CREATEDB PASSWORD 'oneshot_test';
      ELSE ALTER ROLE oneshot_test LOGIN CREATEDB PASSWORD 'oneshot_test'; END IF; END \$\$;" \
    || { echo "setup-test-env: cannot create the oneshot_test role; set TEST_DATABASE_URL" >&2; exit 1; }
fi
echo "setup-test-env: tools and services ready"
