//go:build tools

// Package peers pins the test peers built by ../build-node.sh besides the
// node's own binaries: crane (an OCI registry and its client) for images.
package peers

import (
	_ "github.com/google/go-containerregistry/cmd/crane"
)
