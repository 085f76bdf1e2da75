package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/client-go/tools/clientcmd"
)

// runKubeconfigFor mints a client certificate for any user and groups with the CA of a cluster
// that `up` started, and writes a kubeconfig for it. The API server authenticates the
// certificate's CN as the user name and its O values as groups, and RBAC applies to them as to
// any other identity. A ServiceAccount ns/name is
//
//	--user system:serviceaccount:ns:name --group system:serviceaccounts --group system:serviceaccounts:ns
func runKubeconfigFor(args []string) int {
	var dir, user, out string
	var groups stringList
	fs := flag.NewFlagSet("kubeconfig-for", flag.ContinueOnError)
	fs.StringVar(&dir, "dir", "", "the --dir of `cluster up` (required)")
	fs.StringVar(&user, "user", "", "user name, the certificate's CN (required)")
	fs.Var(&groups, "group", "group, the certificate's O (repeatable)")
	fs.StringVar(&out, "out", "", "kubeconfig to write (required)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if dir == "" || user == "" || out == "" || fs.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "cluster kubeconfig-for: --dir, --user and --out are required")
		return 2
	}
	if err := writeKubeconfigFor(dir, user, groups, out); err != nil {
		fmt.Fprintln(os.Stderr, "cluster kubeconfig-for:", err)
		return 1
	}
	return 0
}

func writeKubeconfigFor(dir, user string, groups []string, out string) error {
	ca, err := loadCA(dir)
	if err != nil {
		return err
	}
	admin, err := clientcmd.LoadFromFile(filepath.Join(dir, adminKubeconfig))
	if err != nil {
		return err
	}
	cluster, ok := admin.Clusters[admin.Contexts[admin.CurrentContext].Cluster]
	if !ok {
		return fmt.Errorf("%s names no cluster", adminKubeconfig)
	}
	return ca.writeKubeconfig(out, cluster.Server, user, groups)
}

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }
