//go:build tools

// Package tools pins the control-plane binaries built by ../build.sh.
// It is never compiled; the blank imports keep `go mod tidy` from dropping
// the modules (and go.sum lines) that the three main packages need.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"            // etcd
	_ "k8s.io/kubernetes/cmd/kube-apiserver" // kube-apiserver
	_ "k8s.io/kubernetes/cmd/kubectl"        // kubectl
)
