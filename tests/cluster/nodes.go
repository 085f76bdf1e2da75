package main

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// nodeName is the one simulated Node that `up --with-nodes` creates.
const nodeName = "kwok-node-0"

//go:embed kwok/*.yaml
var kwokStages embed.FS

// startNodes runs kube-scheduler and kwok, creates one Node and waits until Pods can land on
// it. kwok plays the kubelet: it marks the Node Ready, renews its Lease, and moves every Pod
// bound to it to Running and Ready (the stages in kwok/).
func (cp *controlPlane) startNodes(ctx context.Context) error {
	kwok, err := cp.kwokPath()
	if err != nil {
		return err
	}
	config := cp.file("kwok.yaml")
	if err := writeKwokConfig(config); err != nil {
		return err
	}
	if err := cp.spawn("kube-scheduler", cp.schedulerFlags()...); err != nil {
		return err
	}
	if err := cp.spawnPath("kwok", kwok, cp.kwokFlags(config)...); err != nil {
		return err
	}

	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{
		Name: nodeName,
		Labels: map[string]string{
			"kubernetes.io/hostname": nodeName,
			"kubernetes.io/os":       "linux",
			"kubernetes.io/arch":     "amd64",
			"type":                   "kwok",
		},
		Annotations: map[string]string{"kwok.x-k8s.io/node": "fake"},
	}}
	if _, err := cp.client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating Node %s: %w", nodeName, err)
	}
	if err := cp.waitFor(ctx, "Lease of Node "+nodeName, nodeLeaseExists(cp.client, nodeName)); err != nil {
		return err
	}
	return cp.waitFor(ctx, "Node "+nodeName+" Ready and untainted", nodeSchedulable(cp.client, nodeName))
}

// kwokPath finds kwok: the --kwok flag, else next to this binary (build.sh installs it there),
// else on PATH.
func (cp *controlPlane) kwokPath() (string, error) {
	if cp.kwok != "" {
		return cp.kwok, nil
	}
	beside := filepath.Join(filepath.Dir(cp.exe), "kwok")
	if _, err := os.Stat(beside); err == nil {
		return beside, nil
	}
	path, err := exec.LookPath("kwok")
	if err != nil {
		return "", fmt.Errorf("--with-nodes needs kwok (not at %s nor on PATH): run tests/cluster/build.sh", beside)
	}
	return path, nil
}

// writeKwokConfig joins the embedded Stage documents into one multi-document YAML file.
func writeKwokConfig(path string) error {
	files, err := kwokStages.ReadDir("kwok")
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	for _, f := range files {
		data, err := kwokStages.ReadFile("kwok/" + f.Name())
		if err != nil {
			return err
		}
		buf.WriteString("---\n")
		buf.Write(data)
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
