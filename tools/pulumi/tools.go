//go:build tools

// Package tools pins the Pulumi CLI built for the local end-to-end tier.
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
