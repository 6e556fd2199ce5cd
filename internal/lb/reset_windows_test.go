package lb

import (
	"net"
	"os"
	"syscall"
	"testing"
)

// On Windows a reset target gives Winsock's codes, wrapped as net returns them; the
// proxy must still see a stale connection, or it answers 502 where it should retry.
func TestStaleRecognisesWinsockResets(t *testing.T) {
	for _, errno := range []syscall.Errno{10054, 10053} {
		err := &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("wsarecv", errno)}
		if !stale(err) {
			t.Errorf("stale(%v) = false, want true", err)
		}
	}
	if stale(&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connectex", syscall.Errno(10061))}) {
		t.Error("a refused dial (WSAECONNREFUSED) is not a stale connection")
	}
}
