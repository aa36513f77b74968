// The CNCF distribution registry (github.com/distribution/distribution/v3,
// pinned by ../go.mod) as its cmd/registry builds it, with only what the
// e2e tests configure: the filesystem storage driver and htpasswd
// authentication. Leaving out the cloud storage drivers (S3, GCS, Azure),
// the proxy and the token/silly auth halves the packages compiled; the
// registry itself (registry.RootCmd: `registry serve config.yml`) is the
// released code, unchanged.
package main

import (
	"github.com/distribution/distribution/v3/registry"
	_ "github.com/distribution/distribution/v3/registry/auth/htpasswd"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
)

func main() {
	// Execute reports and exits by itself on a failed command (as upstream's main).
	_ = registry.RootCmd.Execute()
}
