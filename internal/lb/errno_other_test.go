//go:build !windows

package lb

import "syscall"

var errReset, errPipe error = syscall.ECONNRESET, syscall.EPIPE
