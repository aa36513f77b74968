#!/usr/bin/env bash
# Build what `cluster-up NODE=1` adds to the control plane, from the Go module proxy:
# kubelet, kube-scheduler, kube-controller-manager and kube-proxy (pinned by
# tools/go.mod, like the control plane), CoreDNS with the plugins cluster DNS
# needs, crane (an OCI registry and client) and a pause program for pod
# sandboxes, pinned by peers/go.mod.
#   bin dir: ${XDG_CACHE_HOME:-~/.cache}/atlas-k8s-migrator/node/<k8s-version>/bin
# A warm run does nothing. Prints the bin dir on the last line (stdout).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/go-build-env.sh"
OUT=$CACHE/node/$K8S_VERSION/bin
STAMP="k8s=$K8S_VERSION tools=$(cksum <"$HERE/tools/go.sum" | cut -d' ' -f1) peers=$(cat "$HERE/peers/go.sum" "$HERE/peers"/*/main.go | cksum | cut -d' ' -f1)"
BINARIES=(kubelet kube-scheduler kube-controller-manager kube-proxy coredns crane pause)

warm=1
for b in "${BINARIES[@]}"; do [[ -x $OUT/$b ]] || warm=0; done
if [[ $warm == 1 && -f $OUT/.stamp && $(<"$OUT/.stamp") == "$STAMP" ]]; then
  echo "node $K8S_VERSION already built" >&2
  echo "$OUT"
  exit 0
fi

begin_build "$OUT" "the node (kubelet, kube-scheduler, kube-controller-manager, kube-proxy, CoreDNS, crane, pause)"
(cd "$HERE/tools" && go build -trimpath -ldflags "$K8S_LDFLAGS" -o "$TMP/" \
  k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-scheduler \
  k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-proxy)
(cd "$HERE/peers" && go build -trimpath -ldflags "-s -w" -o "$TMP/coredns" ./coredns && go build -trimpath -ldflags "-s -w" -o "$TMP/pause" ./pause \
  && go build -trimpath -ldflags "-s -w" -o "$TMP/crane" github.com/google/go-containerregistry/cmd/crane)

[[ -x $TMP/kubelet ]] && "$TMP/kubelet" --version >&2
publish_build "$OUT" "$STAMP" "${BINARIES[@]}"
echo "node binaries in:" >&2
echo "$OUT"
