//go:build tools

// Package tools pins kwok, which runs fake nodes for the local cluster.
package tools

import (
	_ "sigs.k8s.io/kwok/cmd/kwok"
)
