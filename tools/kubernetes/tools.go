//go:build tools

// Package tools pins the Kubernetes binaries built for the local end-to-end
// tier: the control plane, kubectl, and the kubelet and kube-proxy of the real
// nodes (cluster-up --real-nodes).
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
