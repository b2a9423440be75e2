#!/bin/sh
# Smoke test of the images on this machine: starts Docker if needed (docker-up.sh), makes the
# base images if missing (base-image.sh), then runs smoke.mjs (build, Redis + router + pool from
# infra/compose.host.yaml, built-ins, a CLI deploy, `docker kill` of the pool under 200 async jobs,
# `docker stop` of the router under sync calls). Whatever happens, the compose project is removed
# (containers and volumes), and a dockerd this script started is stopped.
#
#   sudo infra/test/install-tools.sh   # docker.io, docker-compose, debootstrap (Debian)
#   sudo infra/test/smoke.sh           # prints SMOKE OK {"build": ..., "firstReady": ..., ...}
#
# Needs root (dockerd, debootstrap), Node 20 and the repository's node_modules (`npm ci`; the
# CLI deploy step runs from this checkout). `.ci/run` runs it as root, beside the type check.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export SMOKE_PROJECT=${SMOKE_PROJECT:-autoglm-smoke-$$}

started=$("$here/docker-up.sh")
cleanup() {
  rc=$?
  # compose insists on the variables the file requires, even to remove the project.
  export AUTOGLM_ENCRYPTION_KEYS=${AUTOGLM_ENCRYPTION_KEYS:-unused}
  if command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1; then
    if docker compose version >/dev/null 2>&1; then c="docker compose"; else c=docker-compose; fi
    if [ "$rc" -ne 0 ]; then
      echo "smoke: FAILED; the containers' last log lines:" >&2
      $c -p "$SMOKE_PROJECT" -f "$root/infra/compose.host.yaml" logs --no-color --tail 25 >&2 2>&1 || true
    fi
    $c -p "$SMOKE_PROJECT" -f "$root/infra/compose.host.yaml" down -v --remove-orphans -t 5 >/dev/null 2>&1 || true
  fi
  # Whatever compose did not remove (a failed `up`): by the project's label.
  ids=$(docker ps -aq --filter "label=com.docker.compose.project=$SMOKE_PROJECT" 2>/dev/null || true)
  [ -n "$ids" ] && docker rm -f $ids >/dev/null 2>&1 || true
  vols=$(docker volume ls -q --filter "label=com.docker.compose.project=$SMOKE_PROJECT" 2>/dev/null || true)
  [ -n "$vols" ] && docker volume rm -f $vols >/dev/null 2>&1 || true
  [ -n "$started" ] && "$here/docker-down.sh" || true
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$here/base-image.sh"
cd "$root"
node "$here/smoke.mjs"
