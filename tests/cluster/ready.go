package main

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Conditions that `up` waits for before it reports READY. Each returns nil once it holds.

func apiserverReady(client kubernetes.Interface) func(context.Context) error {
	return func(ctx context.Context) error {
		_, err := client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		return err
	}
}

func namespaceExists(client kubernetes.Interface, name string) func(context.Context) error {
	return func(ctx context.Context) error {
		_, err := client.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
		return err
	}
}

func serviceAccountExists(client kubernetes.Interface, namespace, name string) func(context.Context) error {
	return func(ctx context.Context) error {
		_, err := client.CoreV1().ServiceAccounts(namespace).Get(ctx, name, metav1.GetOptions{})
		return err
	}
}

// nodeSchedulable holds once the node is Ready and carries no NoSchedule or NoExecute taint
// (kube-controller-manager removes node.kubernetes.io/not-ready once kwok reports Ready).
func nodeSchedulable(client kubernetes.Interface, name string) func(context.Context) error {
	return func(ctx context.Context) error {
		node, err := client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		ready := false
		for _, c := range node.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
				ready = true
			}
		}
		if !ready {
			return errors.New("node not Ready")
		}
		for _, t := range node.Spec.Taints {
			if t.Effect != corev1.TaintEffectPreferNoSchedule {
				return fmt.Errorf("node still tainted %s:%s", t.Key, t.Effect)
			}
		}
		return nil
	}
}

// nodeLeaseExists holds once the node's kubelet (kwok) has created its Lease, which keeps
// kube-controller-manager from marking the node unreachable.
func nodeLeaseExists(client kubernetes.Interface, name string) func(context.Context) error {
	return func(ctx context.Context) error {
		_, err := client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, name, metav1.GetOptions{})
		return err
	}
}
