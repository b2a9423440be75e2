#!/bin/sh
# Makes the images infra/Dockerfile and compose.host.yaml start FROM, without an image registry:
#
#   node:20-bookworm-slim   Debian bookworm (debootstrap --variant=minbase, plus tini) with this
#                           host's Node.js 20 (/usr/bin/node) and npm copied in
#   redis:7                 the same Debian with Debian's redis-server (7.0)
#
# The packages come from the Debian mirror apt uses on this host (the first URIs of
# /etc/apt/sources.list*), or DEBIAN_MIRROR. Idempotent: an existing tag is kept unless
# BASE_IMAGE_REBUILD=1. Needs root, debootstrap and a running dockerd (docker-up.sh).
#
# These are stand-ins: on a host that can pull the real images, skip this script.
set -eu
node_tag=${NODE_BASE_TAG:-node:20-bookworm-slim}
redis_tag=${REDIS_TAG:-redis:7}
suite=bookworm
work=${BASE_IMAGE_WORKDIR:-/var/tmp/autoglm-base-image}

have() { docker image inspect "$1" >/dev/null 2>&1; }
if [ "${BASE_IMAGE_REBUILD:-0}" != 1 ] && have "$node_tag" && have "$redis_tag"; then
  echo "base-image: $node_tag and $redis_tag exist (BASE_IMAGE_REBUILD=1 to remake them)"
  exit 0
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" = 20 ] || { echo "base-image: host node is $(node -v), the image needs 20" >&2; exit 1; }
npm_root=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")  # .../node_modules/npm
[ -f "$npm_root/package.json" ] || { echo "base-image: npm not found at $npm_root" >&2; exit 1; }

mirror=${DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  # deb822 (URIs: ...) first, then one-line "deb URL suite ..." entries; skip security mirrors.
  mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}')
  [ -n "$mirror" ] || mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
    | awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) { print $i; exit } }')
fi
[ -n "$mirror" ] || { echo "base-image: no Debian mirror in /etc/apt/sources.list*; set DEBIAN_MIRROR" >&2; exit 1; }
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
echo "base-image: debootstrap $suite from $mirror"
debootstrap --variant=minbase --include=tini ${keyring:+--keyring=$keyring} "$suite" "$work/rootfs" "$mirror" >"$work.log" 2>&1 \
  || { tail -n 30 "$work.log" >&2; exit 1; }

# Image hygiene as in Debian's docker images: no apt caches, no host resolv.conf/hostname.
slim() {
  chroot "$1" apt-get clean
  rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/var/log/* "$1"/tmp/* "$1"/root/.cache
  : >"$1/etc/resolv.conf"
  : >"$1/etc/hostname"
}

# redis:7 from a copy, before node goes in.
cp -a "$work/rootfs" "$work/redis"
cp /etc/resolv.conf "$work/redis/etc/resolv.conf"
chroot "$work/redis" apt-get update >>"$work.log" 2>&1
DEBIAN_FRONTEND=noninteractive chroot "$work/redis" apt-get install -y --no-install-recommends redis-server >>"$work.log" 2>&1 \
  || { tail -n 30 "$work.log" >&2; exit 1; }
slim "$work/redis"
mkdir -p "$work/redis/data"
tar -C "$work/redis" -c . | docker import \
  -c 'WORKDIR /data' -c 'EXPOSE 6379' -c 'CMD ["redis-server"]' - "$redis_tag" >/dev/null

# node: the host's binary (links only glibc/libstdc++, both in minbase) and npm, where the
# official image puts them; uid 1000 `node` as there.
root=$work/rootfs
cp /usr/bin/node "$root/usr/local/bin/node"
mkdir -p "$root/usr/local/lib/node_modules"
cp -a "$npm_root" "$root/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
chroot "$root" groupadd --gid 1000 node
chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
slim "$root"
chroot "$root" node -e 'process.exit(0)' || { echo "base-image: node does not run in the new root" >&2; exit 1; }
tar -C "$root" -c . | docker import \
  -c "ENV NODE_VERSION=$(node -p 'process.versions.node')" \
  -c 'CMD ["node"]' - "$node_tag" >/dev/null

docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E "^($node_tag|$redis_tag) "
