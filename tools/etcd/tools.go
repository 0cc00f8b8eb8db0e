//go:build tools

// Package tools pins etcd, the API server's storage in the local cluster.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
)
