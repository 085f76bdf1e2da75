#!/usr/bin/env bash
# Builds tests/cluster/bin/cluster (and installs kwok beside it) only when needed:
#   - bin/cluster is rebuilt when missing or older than any *.go, go.mod, go.sum or kwok/*.yaml
#     here; otherwise nothing runs (the Go link step alone takes tens of seconds);
#   - bin/kwok is installed when missing or not the pinned version;
#   - bin/kubectl is a symlink to cluster, which then acts as kubectl.
# Uses the default GOCACHE and GOMODCACHE, so a machine that built once rebuilds from cache.
# Environment: NICE (default 10) is the niceness of the builds.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

KWOK_VERSION=v0.8.0
export CGO_ENABLED=0 GOWORK=off GOFLAGS="${GOFLAGS:-} -buildvcs=false"
nice_go() { nice -n "${NICE:-10}" go "$@"; }

k8s="$(awk '{for (i = 1; i < NF; i++) if ($i == "k8s.io/kubernetes" && $(i+1) ~ /^v1\./) {print $(i+1); exit}}' go.mod)"
[[ "$k8s" =~ ^v1\.([0-9]+)\.[0-9]+$ ]] || { echo "build.sh: no k8s.io/kubernetes version in go.mod" >&2; exit 1; }
minor="${BASH_REMATCH[1]}"
mkdir -p bin

newer="$(find . -path ./bin -prune -o \( -name '*.go' -o -name go.mod -o -name go.sum -o -path './kwok/*.yaml' \) \
  -newer bin/cluster -print -quit 2>/dev/null || true)"
if [[ ! -x bin/cluster || -n "$newer" ]]; then
  echo "build.sh: building bin/cluster (Kubernetes $k8s)${newer:+, $newer changed}"
  start=$SECONDS
  nice_go build -trimpath -o bin/cluster.new \
    -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$k8s -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean" \
    .
  mv -f bin/cluster.new bin/cluster # a running cluster keeps its old inode
  echo "build.sh: built bin/cluster in $((SECONDS - start))s"
else
  echo "build.sh: bin/cluster is up to date"
fi

if ! go version -m bin/kwok 2>/dev/null | grep -q "mod[[:space:]]*sigs.k8s.io/kwok[[:space:]]*$KWOK_VERSION"; then
  echo "build.sh: installing kwok $KWOK_VERSION into bin/"
  start=$SECONDS
  GOBIN="$here/bin" nice_go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  echo "build.sh: installed kwok in $((SECONDS - start))s"
else
  echo "build.sh: bin/kwok $KWOK_VERSION is installed"
fi

if [[ "$(readlink bin/kubectl 2>/dev/null)" != cluster ]]; then
  ln -sfn cluster bin/kubectl
  echo "build.sh: linked bin/kubectl -> cluster"
fi
