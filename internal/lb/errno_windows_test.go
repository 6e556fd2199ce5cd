package lb

import "syscall"

// WSAECONNRESET and WSAECONNABORTED: what a reset looks like on Windows.
var errReset, errPipe error = syscall.Errno(10054), syscall.Errno(10053)
