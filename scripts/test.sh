#!/usr/bin/env bash
# Set up what is missing (both environments, Debian chromium for the browser tests) and run
# the whole suite: unit, end-to-end (real Rasa, real app, real model) and browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if ! command -v chromium >/dev/null 2>&1; then
  echo "test: installing Debian chromium for the browser tests"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
# With DATABASE_URL on this machine's PostgreSQL (as .ci/run sets it), a server left stopped is
# started with the command the env notes give, rather than failing every database test.
if [[ "${DATABASE_URL:-}" == postgresql://*@127.0.0.1* || "${DATABASE_URL:-}" == postgresql://*@localhost* ]] \
   && command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1; then
  echo "test: starting the local PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
  for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 && break; sleep 1; done
fi
# Likewise a local Redis (REDIS_URL, as .ci/run sets it) that is not answering is started with the env notes' command.
if [[ "${REDIS_URL:-}" == redis://127.0.0.1* || "${REDIS_URL:-}" == redis://localhost* ]] \
   && command -v redis-cli >/dev/null && ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "test: starting the local Redis"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
  for _ in $(seq 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
fi
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
exec .venv/bin/python -m pytest "$@"
