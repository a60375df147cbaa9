#!/bin/sh
# Command of the TSC container (docker-compose.yml, Dockerfile.tsc); the tests run this very
# script outside containers (test/optimizer/scale/). With TSC_KEYSTORE=pkcs11 and the SoftHSM2
# module it initialises the token at first start (SoftHSM2 config and token directory on the
# data volume) and reuses it afterwards; another PKCS#11 module (a real HSM) is used as it is.
set -eu
APP_HOME="${ONESHOT_HOME:-/app}"
DATA="${ONESHOT_DATA_DIR:-/var/lib/oneshot}"
mkdir -p "$DATA"
if [ "${TSC_KEYSTORE:-soft}" = "pkcs11" ]; then
  PKCS11_MODULE="${PKCS11_MODULE:-/usr/lib/softhsm/libsofthsm2.so}"
  export PKCS11_MODULE
  : "${PKCS11_TOKEN_LABEL:?PKCS11_TOKEN_LABEL is required with TSC_KEYSTORE=pkcs11}"
  : "${PKCS11_PIN:?PKCS11_PIN is required with TSC_KEYSTORE=pkcs11}"
  case "$PKCS11_MODULE" in
    *libsofthsm2.so)
      if [ -z "${SOFTHSM2_CONF:-}" ]; then
        SOFTHSM2_CONF="$DATA/softhsm/softhsm2.conf"
        export SOFTHSM2_CONF
      fi
      if [ ! -f "$SOFTHSM2_CONF" ]; then
        tokens="$(dirname "$SOFTHSM2_CONF")/tokens"
        mkdir -p "$tokens"
        chmod 700 "$(dirname "$SOFTHSM2_CONF")" "$tokens"
        printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n' "$tokens" > "$SOFTHSM2_CONF"
      fi
      if softhsm2-util --show-slots | grep -Eq "^[[:space:]]*Label:[[:space:]]+${PKCS11_TOKEN_LABEL}[[:space:]]*\$"; then
        echo "tsc-entrypoint: SoftHSM2 token '$PKCS11_TOKEN_LABEL' found"
      else
        : "${PKCS11_SO_PIN:?PKCS11_SO_PIN is required to initialise the SoftHSM2 token at first start}"
        softhsm2-util --init-token --free --label "$PKCS11_TOKEN_LABEL" --so-pin "$PKCS11_SO_PIN" --pin "$PKCS11_PIN" >/dev/null
        echo "tsc-entrypoint: SoftHSM2 token '$PKCS11_TOKEN_LABEL' initialised"
      fi
      ;;
  esac
fi
cd "$APP_HOME"
exec node bin/oneshot.mjs tsc
