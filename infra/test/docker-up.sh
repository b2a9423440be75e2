#!/bin/sh
# Starts a Docker daemon when none answers, for hosts with no network set up for Docker (CI
# sandboxes, air-gapped build hosts): no bridge and no iptables rules, so every container here
# runs with `--network host` (compose.host.yaml, smoke.sh). Prints the pid file's path when it
# started one; stop it with infra/test/docker-down.sh.
#
#   DOCKER_UP_LOG   where dockerd logs (default /tmp/autoglm-dockerd.log)
set -eu
if docker info >/dev/null 2>&1; then
  exit 0
fi
command -v dockerd >/dev/null 2>&1 || { echo "docker-up: no dockerd; run infra/test/install-tools.sh" >&2; exit 1; }
log=${DOCKER_UP_LOG:-/tmp/autoglm-dockerd.log}
pidfile=/run/autoglm-dockerd.pid
# containerd comes up with dockerd (it starts its own when none runs).
dockerd --bridge=none --iptables=false --ip6tables=false --pidfile="$pidfile" >"$log" 2>&1 &
i=0
until docker info >/dev/null 2>&1; do
  i=$((i + 1))
  if [ "$i" -gt 60 ]; then
    echo "docker-up: dockerd did not answer within 30 s; its log:" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
  sleep 0.5
done
echo "$pidfile"
