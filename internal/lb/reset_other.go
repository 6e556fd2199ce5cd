//go:build !windows

package lb

import (
	"errors"
	"syscall"
)

// reset reports a connection the peer reset or closed under a write.
func reset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
