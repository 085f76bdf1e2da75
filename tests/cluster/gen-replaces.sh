#!/usr/bin/env bash
# Regenerates the staging-module replace lines of tests/cluster/go.mod.
#
# k8s.io/kubernetes requires its staging modules (k8s.io/api, k8s.io/client-go, ...) at
# v0.0.0 and points them at ./staging/... with replace directives, which a consumer does not
# inherit. We read the list from the pinned k8s.io/kubernetes go.mod itself (so a new staging
# module is never missed) and replace each with its published v0.MINOR.PATCH tag.
#
# Usage: tests/cluster/gen-replaces.sh [v1.X.Y]   (default: the version go.mod requires)
set -euo pipefail
cd "$(dirname "$0")"

version="${1:-$(awk '{for (i = 1; i < NF; i++) if ($i == "k8s.io/kubernetes" && $(i+1) ~ /^v1\./) {print $(i+1); exit}}' go.mod)}"
[[ "$version" =~ ^v1\.[0-9]+\.[0-9]+$ ]] || { echo "gen-replaces: bad version '$version'" >&2; exit 1; }
staging="v0.${version#v1.}"

modfile="$(go mod download -json "k8s.io/kubernetes@$version" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
[[ -f "$modfile" ]] || { echo "gen-replaces: no go.mod for k8s.io/kubernetes@$version" >&2; exit 1; }

mods="$(awk '$2=="=>" && $3 ~ /^\.\/staging\// {print $1}' "$modfile")"
[[ -n "$mods" ]] || { echo "gen-replaces: no staging replaces found in $modfile" >&2; exit 1; }

args=(-require="k8s.io/kubernetes@$version")
for m in $mods; do
  args+=(-replace="$m=$m@$staging")
done
go mod edit "${args[@]}"
echo "gen-replaces: k8s.io/kubernetes $version, $(wc -w <<<"$mods") staging modules => $staging"
