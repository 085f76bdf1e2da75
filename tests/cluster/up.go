package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

const (
	serviceClusterIPRange = "10.0.0.0/24"
	serviceClusterIP      = "10.0.0.1" // the kubernetes Service: first address of the range
	startTimeout          = 2 * time.Minute
	stopGrace             = 15 * time.Second
)

type upOptions struct {
	dir               string
	controllerManager bool
	nodes             bool
	kwok              string
	exitWithStdin     bool
	removeDir         bool
}

// controlPlane is what `up` started, in order, so that it can be stopped in reverse.
type controlPlane struct {
	upOptions
	exe        string
	ports      ports
	kubeconfig string
	etcd       *embed.Etcd
	children   []*child
	exits      chan *child // children that ended; room for all of them
	client     kubernetes.Interface
}

func runUp(args []string) int {
	var o upOptions
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	fs.StringVar(&o.dir, "dir", "", "directory for certificates, kubeconfigs, etcd data and logs (required)")
	fs.BoolVar(&o.controllerManager, "with-controller-manager", false, "also run kube-controller-manager (GC, namespaces, ServiceAccounts, Deployments)")
	fs.BoolVar(&o.nodes, "with-nodes", false, "also run kube-scheduler and kwok with one simulated Node (implies --with-controller-manager)")
	fs.StringVar(&o.kwok, "kwok", "", "kwok binary (default: kwok next to this binary, else on PATH)")
	fs.BoolVar(&o.exitWithStdin, "exit-with-stdin", false, "also shut down when stdin reaches EOF (the parent that holds the pipe died)")
	fs.BoolVar(&o.removeDir, "remove-dir", false, "remove --dir on exit, for a caller that may die before it can")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if o.dir == "" || fs.NArg() > 0 {
		fmt.Fprint(os.Stderr, "cluster up: --dir is required and takes no arguments\n")
		return 2
	}
	o.controllerManager = o.controllerManager || o.nodes

	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer cancel()
	if o.exitWithStdin {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			cancel()
		}()
	}

	cp := &controlPlane{upOptions: o, exits: make(chan *child, 8)}
	err := cp.start(ctx)
	ready := err == nil
	if ready {
		fmt.Println("READY", cp.kubeconfig)
		select {
		case <-ctx.Done():
		case c := <-cp.exits:
			err = errors.New(c.describe())
		}
	}
	cp.stop()
	if o.removeDir {
		_ = os.RemoveAll(o.dir)
	}
	switch {
	case err == nil:
		return 0
	case !ready && ctx.Err() != nil: // asked to stop while starting
		fmt.Fprintln(os.Stderr, "cluster up: stopped before READY:", err)
		return 0
	default:
		fmt.Fprintln(os.Stderr, "cluster up:", err)
		return 1
	}
}

func (cp *controlPlane) start(ctx context.Context) error {
	var err error
	if cp.dir, err = filepath.Abs(cp.dir); err != nil {
		return err
	}
	if err := os.MkdirAll(cp.dir, 0o755); err != nil {
		return err
	}
	if cp.exe, err = os.Executable(); err != nil {
		return err
	}

	ca, err := newCA(cp.dir)
	if err != nil {
		return err
	}
	if err := ca.writeServingCert(cp.dir); err != nil {
		return err
	}
	if err := writeServiceAccountKeys(cp.dir); err != nil {
		return err
	}

	if cp.ports, err = pickPorts(); err != nil {
		return err
	}
	etcd, etcdURL, err := startEtcd(ctx, cp.dir, cp.ports.etcdClient, cp.ports.etcdPeer)
	if err != nil {
		return err
	}
	cp.etcd = etcd

	server := fmt.Sprintf("https://127.0.0.1:%d", cp.ports.apiserver)
	cp.kubeconfig = filepath.Join(cp.dir, adminKubeconfig)
	if err := ca.writeKubeconfig(cp.kubeconfig, server, "admin", []string{"system:masters"}); err != nil {
		return err
	}
	restConfig, err := clientcmd.BuildConfigFromFlags("", cp.kubeconfig)
	if err != nil {
		return err
	}
	if cp.client, err = kubernetes.NewForConfig(restConfig); err != nil {
		return err
	}

	if err := cp.spawn("kube-apiserver", cp.apiserverFlags(server, etcdURL)...); err != nil {
		return err
	}
	if err := cp.waitFor(ctx, "kube-apiserver /readyz", apiserverReady(cp.client)); err != nil {
		return err
	}
	if err := cp.waitFor(ctx, "namespace default", namespaceExists(cp.client, "default")); err != nil {
		return err
	}

	if cp.controllerManager {
		if err := cp.spawn("kube-controller-manager", cp.controllerManagerFlags()...); err != nil {
			return err
		}
		// Pods are admitted only once their namespace's default ServiceAccount exists.
		if err := cp.waitFor(ctx, "ServiceAccount default/default", serviceAccountExists(cp.client, "default", "default")); err != nil {
			return err
		}
	}
	if cp.nodes {
		return cp.startNodes(ctx)
	}
	return nil
}

// spawn re-executes this binary as the named upstream component.
func (cp *controlPlane) spawn(name string, flags ...string) error {
	return cp.spawnPath(name, cp.exe, append([]string{name}, flags...)...)
}

func (cp *controlPlane) spawnPath(name, path string, args ...string) error {
	c, err := startChild(name, filepath.Join(cp.dir, name+".log"), cp.exits, path, args...)
	if err != nil {
		return err
	}
	cp.children = append(cp.children, c)
	return nil
}

// stop ends the clients of the API server together, then the API server, then etcd.
func (cp *controlPlane) stop() {
	if n := len(cp.children); n > 0 {
		var wg sync.WaitGroup
		for _, c := range cp.children[1:] {
			wg.Go(func() { c.stop(stopGrace) })
		}
		wg.Wait()
		cp.children[0].stop(stopGrace)
	}
	if cp.etcd != nil {
		cp.etcd.Close()
	}
}

// waitFor polls cond until it holds, failing early if the context ends or a child exits.
func (cp *controlPlane) waitFor(ctx context.Context, what string, cond func(context.Context) error) error {
	deadline := time.After(startTimeout)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		callCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := cond(callCtx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case c := <-cp.exits:
			return fmt.Errorf("waiting for %s: %s", what, c.describe())
		case <-deadline:
			return fmt.Errorf("%s: not reached after %s: %w (logs in %s)", what, startTimeout, err, cp.dir)
		case <-tick.C:
		}
	}
}
