#!/bin/sh
# Maps a service name to its entry point, so `docker run sensorstream gateway --flag` runs
# `node services/gateway/dist/main.js --flag`. Anything else runs as given (`node ...`, `sh`).
# `exec` keeps node as PID 1, so SIGTERM reaches the service and it drains.
set -eu

APP_ROOT="${SENSORSTREAM_APP_ROOT:-/app}"

services() {
  for main in "$APP_ROOT"/services/*/dist/main.js; do
    [ -f "$main" ] || continue
    svc="${main%/dist/main.js}"
    echo "${svc##*/}"
  done
}

usage() {
  echo "usage: sensorstream <service> [args...]   (or any command, e.g. node, sh)"
  echo "services in this image:"
  services | sed 's/^/  /'
  echo "and: migrate [--grants <file>]   (schema migrations as DATABASE_URL's role, then the grants)"
}

case "${1:-help}" in
  help | --help | -h)
    usage
    exit 0
    ;;
  */* | .*)
    exec "$@"
    ;;
  migrate)
    shift
    exec node "$APP_ROOT/migrate.mjs" "$@"
    ;;
esac

main="$APP_ROOT/services/$1/dist/main.js"
if [ -f "$main" ]; then
  shift
  exec node "$main" "$@"
fi
if command -v "$1" >/dev/null 2>&1; then
  exec "$@"
fi
echo "sensorstream: unknown service or command '$1'" >&2
usage >&2
exit 64
