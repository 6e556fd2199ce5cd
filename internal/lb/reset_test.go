package lb

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
)

// What a target that closed or reset a kept-alive connection gives, as net wraps it.
func TestStaleConnectionErrors(t *testing.T) {
	wrap := func(err error) error {
		return &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", err)}
	}
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{io.EOF, true},
		{io.ErrUnexpectedEOF, true},
		{net.ErrClosed, true},
		{wrap(errReset), true},
		{wrap(errPipe), true},
		{errors.New("http: server gave HTTP response to HTTPS client"), false},
	} {
		if got := stale(tc.err); got != tc.want {
			t.Errorf("stale(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
