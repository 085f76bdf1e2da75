#!/usr/bin/env bash
# Builds one component's image with the repository's Dockerfile:
#   scripts/images/build.sh <operator|dataplane> <image> [context directory]
# CONTAINER_ENGINE: podman (default) or docker. NODE_IMAGE: the base (the Dockerfile's default
# where unset). NO_CACHE=1: no layer cache. SOURCE_DATE_EPOCH, IMAGE_VERSION, IMAGE_REVISION,
# IMAGE_CREATED and IMAGE_SOURCE_URL fill the timestamps and the OCI labels (make images sets
# them from git). EXTRA_CA: a CA bundle that npm inside the build trusts too (the machine's, for
# a TLS-inspecting proxy); it is a build secret, so it never enters a layer.
set -euo pipefail

component=$1 image=$2 context=${3:-.}
engine=${CONTAINER_ENGINE:-podman}
: "${SOURCE_DATE_EPOCH:?SOURCE_DATE_EPOCH must be set}"

args=(
  --file "$context/Dockerfile.$component"
  --tag "$image"
  --build-arg "SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH"
  --build-arg "VERSION=${IMAGE_VERSION:-dev}"
  --build-arg "REVISION=${IMAGE_REVISION:-unknown}"
  --build-arg "CREATED=${IMAGE_CREATED:-1970-01-01T00:00:00Z}"
  --build-arg "SOURCE_URL=${IMAGE_SOURCE_URL:-}"
)
if [ -n "${NODE_IMAGE:-}" ]; then args+=(--build-arg "NODE_IMAGE=$NODE_IMAGE"); fi
if [ -n "${EXTRA_CA:-}" ] && [ -s "$EXTRA_CA" ]; then args+=(--secret "id=extra_ca,src=$EXTRA_CA"); fi
if [ "${NO_CACHE:-}" = 1 ]; then args+=(--no-cache); fi

case "$engine" in
  # --timestamp: every file and the image's created time at SOURCE_DATE_EPOCH, so one commit
  # builds to one image ID. OCI format: podman's docker format writes the build container's
  # random ID and hostname into the config (so no two builds match) and is the only one with a
  # HEALTHCHECK field; Kubernetes and the compose file define their own checks.
  # (podman warns, once per stage, that an OCI image drops the HEALTHCHECK: said here once.)
  podman)
    podman build --quiet --format oci --timestamp "$SOURCE_DATE_EPOCH" "${args[@]}" "$context" \
      2> >(grep -v 'HEALTHCHECK is not supported for OCI image format' >&2)
    ;;
  docker) DOCKER_BUILDKIT=1 docker build "${args[@]}" "$context" ;;
  *) echo "build.sh: CONTAINER_ENGINE must be podman or docker, not $engine" >&2; exit 2 ;;
esac
