#!/usr/bin/env bash
# Build the Helm CLI from the Go module proxy (its own module graph, so its
# Kubernetes libraries never meet the control plane's), cached under
#   ${XDG_CACHE_HOME:-~/.cache}/atlas-k8s-migrator/helm/<version>/helm
# A warm run does nothing. Prints the binary's path on the last line (stdout).
set -euo pipefail

HELM_VERSION=v3.22.0
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/atlas-k8s-migrator
OUT=$CACHE/helm/$HELM_VERSION

if [[ -x $OUT/helm ]]; then
  echo "$OUT/helm"
  exit 0
fi

command -v go >/dev/null || { echo "build-helm.sh: go not found" >&2; exit 1; }
export GOMODCACHE=$CACHE/go-mod GOCACHE=$CACHE/go-build CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=
mkdir -p "$(dirname "$OUT")"
TMP=$(mktemp -d "$(dirname "$OUT")/tmp.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
echo "building helm $HELM_VERSION (GOCACHE=$GOCACHE)" >&2
# Version stamping as Helm's Makefile does; go.sum checks come from the checksum database.
GOBIN=$TMP go install -trimpath -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
version=$("$TMP/helm" version --short)
echo "built helm $version" >&2
rm -rf "$OUT"; mv "$TMP" "$OUT"; trap - EXIT
echo "$OUT/helm"
