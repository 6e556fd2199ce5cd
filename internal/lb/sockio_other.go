//go:build !linux

package lb

import "net"

// sockIO is Linux's (sockio_linux.go); elsewhere connections keep net.Conn's reads
// and writes.
type sockIO struct{ net.Conn }

func newSockIO(net.Conn) *sockIO { return nil }

func (*sockIO) setReplyWait() {}
