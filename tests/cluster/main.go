// Command cluster is a multi-call binary that runs a real Kubernetes control plane for tests:
// embedded etcd plus kube-apiserver, kube-controller-manager and kube-scheduler built from the
// k8s.io/kubernetes module pinned in go.mod, and kubectl of the same version.
//
//	cluster up --dir D [--with-controller-manager] [--with-nodes]
//	cluster kubeconfig-for --dir D --user U [--group G]... --out F
//	cluster kubectl ARGS...          (or invoke it through a symlink named kubectl)
//	cluster version
//
// kube-apiserver, kube-controller-manager and kube-scheduler are subcommands too, but only `up`
// runs them: each re-executes this binary, because upstream's commands install process-wide
// signal handlers and so only one of them can live in a process.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"k8s.io/component-base/version"
)

const usage = `usage:
  cluster up --dir D [--with-controller-manager] [--with-nodes]
  cluster kubeconfig-for --dir D --user U [--group G]... --out FILE
  cluster kubectl ARGS...
  cluster version
`

func main() {
	name := filepath.Base(os.Args[0])
	args := os.Args[1:]
	if name != "kubectl" {
		if len(args) == 0 {
			fmt.Fprint(os.Stderr, usage)
			os.Exit(2)
		}
		name, args = args[0], args[1:]
	}
	// Upstream commands read os.Args themselves (kubectl's plugin lookup, for one), so each
	// sees the command line it would have as a standalone binary.
	os.Args = append([]string{name}, args...)

	switch name {
	case "up":
		os.Exit(runUp(args))
	case "kubeconfig-for":
		os.Exit(runKubeconfigFor(args))
	case "version":
		fmt.Println(version.Get().GitVersion)
	case "kubectl":
		runKubectl()
	default:
		if run, ok := components[name]; ok {
			os.Exit(run())
		}
		fmt.Fprintf(os.Stderr, "cluster: unknown command %q\n%s", name, usage)
		os.Exit(2)
	}
}
