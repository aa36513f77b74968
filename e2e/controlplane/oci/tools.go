//go:build tools

// Package oci pins the OCI peers of e2e/oci.e2e.test.ts, built by
// ../build-oci.sh: the CNCF distribution registry (./registry, its
// cmd/registry with the filesystem driver and htpasswd auth) and the oras
// CLI (oras.land/oras/cmd/oras) that pushes migration directories to it.
package oci

import (
	_ "oras.land/oras/cmd/oras"
)
