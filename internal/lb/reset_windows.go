package lb

import (
	"errors"
	"syscall"
)

// Winsock's own codes ("Windows Sockets Error Codes", Microsoft Learn, winsock2.h):
// the net package returns these, not syscall.ECONNRESET, which on Windows is an
// invented value no socket call ever yields.
const (
	wsaeconnaborted syscall.Errno = 10053 // WSAECONNABORTED: aborted by the host, e.g. a write after the peer's reset
	wsaeconnreset   syscall.Errno = 10054 // WSAECONNRESET: reset by the peer
)

// reset reports a connection the peer reset or closed under a write.
func reset(err error) bool {
	return errors.Is(err, wsaeconnreset) || errors.Is(err, wsaeconnaborted) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
