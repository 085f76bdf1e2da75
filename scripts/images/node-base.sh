#!/usr/bin/env bash
# Builds the Node.js base image locally, for machines that reach Debian's packages and the npm
# registry but no container registry: a Debian root file system (mmdebstrap, minbase variant)
# with the node binary of the npm package node-linux-<arch> and npm from the npm package, both
# under /usr/local as the official node images have them. Every timestamp is SOURCE_DATE_EPOCH,
# so the same inputs give the same image digest.
#
#   scripts/images/node-base.sh <image> <node version> <npm version> <work dir>
# Needs: podman (CONTAINERS_CONF set by the caller), mmdebstrap, npm. Prints the image ID.
set -euo pipefail

image=$1 node_version=$2 npm_version=$3 work=$4
: "${SOURCE_DATE_EPOCH:?SOURCE_DATE_EPOCH must be set}"
suite=${DEBIAN_SUITE:-trixie}
here=$(cd "$(dirname "$0")" && pwd)

case "$(dpkg --print-architecture)" in
  amd64) node_arch=x64 ;;
  arm64) node_arch=arm64 ;;
  *) echo "node-base: unsupported architecture $(dpkg --print-architecture)" >&2; exit 1 ;;
esac

mkdir -p "$work/downloads" "$work/context"
downloads=$(cd "$work/downloads" && pwd)
for package in "node-linux-$node_arch@$node_version" "npm@$npm_version"; do
  tarball="$downloads/$(echo "${package%@*}" | tr -d @ | tr / -)-${package##*@}.tgz"
  [ -s "$tarball" ] || (cd "$downloads" && npm pack --silent "$package" >/dev/null)
done
node_tgz="$downloads/node-linux-$node_arch-$node_version.tgz"
npm_tgz="$downloads/npm-$npm_version.tgz"

rootfs="$work/context/rootfs.tar"
rm -f "$rootfs"
# minbase: dpkg, apt and the Essential set; manuals, docs and translations are left out.
mmdebstrap --quiet --variant=minbase \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --customize-hook="NODE_TGZ='$node_tgz' NPM_TGZ='$npm_tgz' '$here/node-base-hook.sh' \"\$1\"" \
  "$suite" "$rootfs"

cp "$here/Containerfile.node" "$work/context/Containerfile"
podman build --quiet --no-cache --format oci --timestamp "$SOURCE_DATE_EPOCH" \
  --tag "$image" "$work/context"
