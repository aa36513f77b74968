#!/usr/bin/env bash
# Build a local Kubernetes control plane (kube-apiserver, etcd, kubectl) from the
# Go module proxy, pinned by tools/go.mod + tools/go.sum.
#   bin dir: ${XDG_CACHE_HOME:-~/.cache}/atlas-k8s-migrator/controlplane/<k8s-version>/bin
# A warm run (binaries + stamp present for the pinned versions) does nothing.
# Env: CONTROLPLANE_REBUILD=1 forces a rebuild. Prints the bin dir on the last line (stdout).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOOLS=$HERE/tools
# Versions come from the pinned go.mod (change them with tools/pin.sh).
source "$HERE/go-build-env.sh"
ETCD_VERSION=$(awk '$1=="go.etcd.io/etcd/server/v3"{print $2; exit}' "$TOOLS/go.mod")
[[ -n $ETCD_VERSION ]] || { echo "build.sh: cannot read etcd version from $TOOLS/go.mod" >&2; exit 1; }

OUT=$CACHE/controlplane/$K8S_VERSION/bin
STAMP="k8s=$K8S_VERSION etcd=$ETCD_VERSION gosum=$(cksum <"$TOOLS/go.sum" | cut -d' ' -f1)"

if [[ ${CONTROLPLANE_REBUILD:-0} != 1 && -x $OUT/kube-apiserver && -x $OUT/etcd && -x $OUT/kubectl \
      && -f $OUT/.stamp && $(<"$OUT/.stamp") == "$STAMP" ]]; then
  echo "control plane $K8S_VERSION (etcd $ETCD_VERSION) already built" >&2
  echo "$OUT"
  exit 0
fi

begin_build "$OUT" "the control plane (kube-apiserver, kubectl, etcd $ETCD_VERSION)"

cd "$TOOLS"
go build -trimpath -ldflags "$K8S_LDFLAGS" -o "$TMP/" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl
go build -trimpath -ldflags "-s -w" -o "$TMP/etcd" go.etcd.io/etcd/server/v3

"$TMP/kube-apiserver" --version >&2
# Capture first, then print: piping into `head` would let head close the pipe
# early, and etcd would die of SIGPIPE (exit 141) under pipefail on a loaded machine.
etcd_version=$("$TMP/etcd" --version)
echo "${etcd_version%%$'\n'*}" >&2

publish_build "$OUT" "$STAMP" kube-apiserver kubectl etcd
echo "control plane binaries in:" >&2
echo "$OUT"
