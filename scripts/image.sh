#!/usr/bin/env bash
# Build the Prikke container image: the static binary on the host first, then
# FROM scratch with podman (or docker when a Docker engine answers).
#   scripts/image.sh [TAG]      (default prikke:latest; or $PRIKKE_IMAGE)
set -euo pipefail
cd "$(dirname "$0")/.."

tag=${1:-${PRIKKE_IMAGE:-prikke:latest}}
GO=${GO:-go}

# podman first unless a Docker engine answers; the docker client alone is not enough.
engine=${PRIKKE_IMAGE_ENGINE:-}
if [ -z "$engine" ]; then
  if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    engine=docker
  elif command -v podman >/dev/null 2>&1; then
    engine=podman
  else
    echo "make image: neither podman nor a running Docker engine found (apt-get install podman)" >&2
    exit 1
  fi
fi

version=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
created=$(date -u +%Y-%m-%dT%H:%M:%SZ)

stage=build/image/rootfs
rm -rf build/image
mkdir -p "$stage/etc/ssl/certs" "$stage/usr/share" "$stage/tmp" build/image/data

echo "== building the static binary ($version, $revision)"
CGO_ENABLED=0 "$GO" build -trimpath -ldflags "-s -w -X github.com/prikke/prikke.Version=$version" \
  -o "$stage/prikke" ./cmd/prikke

# CA certificates: the binary makes outgoing HTTPS requests (job deliveries, alerts).
ca=/etc/ssl/certs/ca-certificates.crt
if [ ! -f "$ca" ]; then
  echo "make image: $ca is missing (apt-get install ca-certificates)" >&2
  exit 1
fi
cp "$ca" "$stage/etc/ssl/certs/ca-certificates.crt"

# The time-zone database: the binary embeds one (time/tzdata); the system's copy,
# when the host has it, is newer and is what Go reads first through ZONEINFO.
if [ -d /usr/share/zoneinfo ]; then
  cp -rL /usr/share/zoneinfo "$stage/usr/share/zoneinfo"
  rm -rf "$stage/usr/share/zoneinfo/right" "$stage/usr/share/zoneinfo/posix"
fi

printf 'root:x:0:0:root:/root:/sbin/nologin\nprikke:x:65532:65532:prikke:/data:/sbin/nologin\n' >"$stage/etc/passwd"
printf 'root:x:0:\nprikke:x:65532:\n' >"$stage/etc/group"
chmod 1777 "$stage/tmp"
chmod 0755 build/image/data
touch build/image/data/.keep   # /data: a directory COPY --chown makes the user's

build_args=(--build-arg "VERSION=$version" --build-arg "REVISION=$revision" --build-arg "CREATED=$created")
echo "== $engine build -t $tag"
if [ "$engine" = podman ]; then
  # --format docker keeps HEALTHCHECK (the OCI format has no field for it).
  # --layers=false: no intermediate images left behind (the build takes seconds).
  podman build --format docker --layers=false "${build_args[@]}" -t "$tag" -f Dockerfile .
else
  docker build "${build_args[@]}" -t "$tag" -f Dockerfile .
fi
echo "== built $tag"
