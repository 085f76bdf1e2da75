package main

import (
	"fmt"
	"path/filepath"
)

// The upstream components' command lines. Everything listens on loopback, on ports picked at
// start (ports.go), so that clusters on one machine do not collide.

func (cp *controlPlane) apiserverFlags(server, etcdURL string) []string {
	flags := []string{
		"--etcd-servers=" + etcdURL,
		fmt.Sprintf("--secure-port=%d", cp.ports.apiserver),
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--endpoint-reconciler-type=none",
		"--tls-cert-file=" + cp.file(servingCertFile),
		"--tls-private-key-file=" + cp.file(servingKeyFile),
		"--client-ca-file=" + cp.file(caCertFile),
		"--service-cluster-ip-range=" + serviceClusterIPRange,
		"--service-account-issuer=" + server,
		"--service-account-key-file=" + cp.file(saPublicFile),
		"--service-account-signing-key-file=" + cp.file(saPrivateFile),
		"--authorization-mode=RBAC",
		"--allow-privileged=true",
		"--profiling=false",
	}
	if !cp.controllerManager {
		// Without the ServiceAccount controller no namespace gets its default ServiceAccount,
		// and the admission plugin would reject every Pod.
		flags = append(flags, "--disable-admission-plugins=ServiceAccount")
	}
	return flags
}

func (cp *controlPlane) controllerManagerFlags() []string {
	return []string{
		"--kubeconfig=" + cp.kubeconfig,
		"--bind-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", cp.ports.controllerManager),
		"--cert-dir=" + cp.file("kube-controller-manager"),
		"--leader-elect=false",
		"--root-ca-file=" + cp.file(caCertFile),
		"--service-account-private-key-file=" + cp.file(saPrivateFile),
		"--cluster-signing-cert-file=" + cp.file(caCertFile),
		"--cluster-signing-key-file=" + cp.file(caKeyFile),
		"--kube-api-qps=1000",
		"--kube-api-burst=2000",
		"--controllers=*",
		"--profiling=false",
	}
}

func (cp *controlPlane) schedulerFlags() []string {
	return []string{
		"--kubeconfig=" + cp.kubeconfig,
		"--bind-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", cp.ports.scheduler),
		"--cert-dir=" + cp.file("kube-scheduler"),
		"--leader-elect=false",
		"--kube-api-qps=1000",
		"--kube-api-burst=2000",
		"--profiling=false",
	}
}

func (cp *controlPlane) kwokFlags(config string) []string {
	return []string{
		"--kubeconfig=" + cp.kubeconfig,
		"--config=" + config,
		"--manage-all-nodes=true",
		// Renew each node's Lease as a kubelet does. kwok's own default is 0 (no Leases), and
		// then kube-controller-manager marks the node NotReady after its grace period (50 s)
		// and every Pod on it not Ready.
		"--node-lease-duration-seconds=40",
		"--cidr=10.244.0.0/16", // Pod IPs (never routed); the default overlaps the Service range
	}
}

func (cp *controlPlane) file(name string) string { return filepath.Join(cp.dir, name) }
