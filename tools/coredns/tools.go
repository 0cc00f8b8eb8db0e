//go:build tools

// Package tools pins CoreDNS, the cluster DNS of the real nodes
// (cluster-up --real-nodes): a host process on the node bridge's address.
package tools

import (
	_ "github.com/coredns/coredns"
)
