#!/bin/sh
# Installs what infra/test/ needs on a Debian bookworm host (CI or an air-gapped build host with a
# Debian mirror): the Docker engine and CLI from Debian (docker.io), and debootstrap for
# base-image.sh. No image registry is needed afterwards. Run as root.
set -eu
if command -v docker >/dev/null 2>&1 && command -v dockerd >/dev/null 2>&1 && command -v debootstrap >/dev/null 2>&1 && command -v docker-compose >/dev/null 2>&1; then
  exit 0
fi
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends docker.io docker-compose debootstrap
