package main

import (
	"fmt"
	"net"
)

// ports are the loopback ports of one cluster. They are picked together, each held open until
// all are known, so that no two coincide; another process could still take one before its
// component binds it, which on a test machine is rare enough.
type ports struct {
	etcdClient, etcdPeer, apiserver, controllerManager, scheduler int
}

func pickPorts() (ports, error) {
	var got [5]int
	for i := range got {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return ports{}, fmt.Errorf("picking a free port: %w", err)
		}
		defer l.Close()
		got[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports{got[0], got[1], got[2], got[3], got[4]}, nil
}
