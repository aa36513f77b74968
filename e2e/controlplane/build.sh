#!/usr/bin/env bash
# Build a local Kubernetes control plane (kube-apiserver, etcd, kubectl) from the
# Go module proxy, pinned by tools/go.mod + tools/go.sum.
#   bin dir: ${XDG_CACHE_HOME:-~/.cache}/atlas-k8s-migrator/controlplane/<k8s-version>/bin
# A warm run (binaries + stamp present for the pinned versions) does nothing.
# Env: CONTROLPLANE_REBUILD=1 forces a rebuild. Prints the bin dir on the last line (stdout).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOOLS=$HERE/tools
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/atlas-k8s-migrator

# Versions come from the pinned go.mod (change them with tools/pin.sh).
K8S_VERSION=$(awk '$1=="k8s.io/kubernetes"{print $2; exit}' "$TOOLS/go.mod")
ETCD_VERSION=$(awk '$1=="go.etcd.io/etcd/server/v3"{print $2; exit}' "$TOOLS/go.mod")
[[ $K8S_VERSION =~ ^v1\.([0-9]+)\.[0-9]+$ ]] || { echo "build.sh: cannot read k8s.io/kubernetes version from $TOOLS/go.mod" >&2; exit 1; }
K8S_MINOR=${BASH_REMATCH[1]}
[[ -n $ETCD_VERSION ]] || { echo "build.sh: cannot read etcd version from $TOOLS/go.mod" >&2; exit 1; }

OUT=$CACHE/controlplane/$K8S_VERSION/bin
STAMP="k8s=$K8S_VERSION etcd=$ETCD_VERSION gosum=$(cksum <"$TOOLS/go.sum" | cut -d' ' -f1)"

if [[ ${CONTROLPLANE_REBUILD:-0} != 1 && -x $OUT/kube-apiserver && -x $OUT/etcd && -x $OUT/kubectl \
      && -f $OUT/.stamp && $(<"$OUT/.stamp") == "$STAMP" ]]; then
  echo "control plane $K8S_VERSION (etcd $ETCD_VERSION) already built" >&2
  echo "$OUT"
  exit 0
fi

command -v go >/dev/null || { echo "build.sh: go not found (need Go >= the go directive in tools/go.mod)" >&2; exit 1; }
export GOMODCACHE=$CACHE/go-mod GOCACHE=$CACHE/go-build
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=readonly
mkdir -p "$GOMODCACHE" "$GOCACHE" "$(dirname "$OUT")"

TMP=$(mktemp -d "$(dirname "$OUT")/bin.tmp.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
trap 'echo "build.sh: FAILED building control plane $K8S_VERSION (see errors above)" >&2' ERR

# Same stamping as kubernetes' hack/lib/version.sh (both version packages).
LDFLAGS="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  LDFLAGS+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$K8S_MINOR -X $p.gitTreeState=clean"
done

cd "$TOOLS"
echo "building kube-apiserver + kubectl $K8S_VERSION and etcd $ETCD_VERSION (GOCACHE=$GOCACHE)" >&2
go build -trimpath -ldflags "$LDFLAGS" -o "$TMP/" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl
go build -trimpath -ldflags "-s -w" -o "$TMP/etcd" go.etcd.io/etcd/server/v3

for b in kube-apiserver kubectl etcd; do
  [[ -x $TMP/$b ]] || { echo "build.sh: $b missing after build" >&2; exit 1; }
done
"$TMP/kube-apiserver" --version >&2
# Capture first, then print: piping into `head` would let head close the pipe
# early, and etcd would die of SIGPIPE (exit 141) under pipefail on a loaded machine.
etcd_version=$("$TMP/etcd" --version)
echo "${etcd_version%%$'\n'*}" >&2

chmod 755 "$TMP"; rm -rf "$OUT"; mv "$TMP" "$OUT"; trap - EXIT
echo "$STAMP" >"$OUT/.stamp"
echo "control plane binaries in:" >&2
echo "$OUT"
