//go:build tools

// Package tools pins the control-plane binaries built by ../build.sh.
// It is never compiled; the blank imports keep `go mod tidy` from dropping
// the modules (and go.sum lines) that the main packages need: the control
// plane, and the node that `cluster-up NODE=1` adds to it.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"                     // etcd
	_ "k8s.io/kubernetes/cmd/kube-apiserver"          // kube-apiserver
	_ "k8s.io/kubernetes/cmd/kube-controller-manager" // kube-controller-manager (node)
	_ "k8s.io/kubernetes/cmd/kube-proxy"              // kube-proxy (node)
	_ "k8s.io/kubernetes/cmd/kube-scheduler"          // kube-scheduler (node)
	_ "k8s.io/kubernetes/cmd/kubectl"                 // kubectl
	_ "k8s.io/kubernetes/cmd/kubelet"                 // kubelet (node)
)
