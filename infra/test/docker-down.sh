#!/bin/sh
# Stops the Docker daemon docker-up.sh started (and only that one: it reads its pid file).
set -eu
pidfile=/run/autoglm-dockerd.pid
[ -f "$pidfile" ] || exit 0
pid=$(cat "$pidfile")
kill "$pid" 2>/dev/null || exit 0
i=0
while kill -0 "$pid" 2>/dev/null; do
  i=$((i + 1))
  [ "$i" -gt 60 ] && { echo "docker-down: dockerd $pid still running after 30 s" >&2; exit 1; }
  sleep 0.5
done
