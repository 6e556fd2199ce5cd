package envlistener

import (
	"fmt"
	"io"
	"net"
	"strconv"
)

// DefaultListen is where the load balancer listens unless told: the first free port
// from 8080 up (8443 up for HTTPS), so that several services of an environment run
// side by side.
const DefaultListen = "127.0.0.1:8080"

const defaultPorts = 20

// Listen opens a load balancer's address, the environment's or a service's own; an
// empty addr is the default: from port first, moved up to the next free port when
// another process holds it, which out is told.
func Listen(addr string, first int, out io.Writer) (net.Listener, error) {
	if addr != "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, &ListenError{Addr: addr, Err: err}
		}
		return ln, nil
	}
	var firstErr error
	for p := first; p < first+defaultPorts; p++ {
		a := net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
		ln, err := net.Listen("tcp", a)
		if err == nil {
			if p != first {
				fmt.Fprintf(out, "127.0.0.1:%d is taken (another berth up?): listening on %s\n", first, a)
			}
			return ln, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, &ListenError{Addr: fmt.Sprintf("127.0.0.1:%d-%d", first, first+defaultPorts-1), Err: firstErr}
}

// ListenError says the load balancer's address is taken.
type ListenError struct {
	Addr string
	Err  error
}

func (e *ListenError) Error() string { return fmt.Sprintf("listen on %s: %v", e.Addr, e.Err) }

// Hint tells the user what to do.
func (e *ListenError) Hint() string {
	return "another process holds the address: stop it, or pass --listen 127.0.0.1:PORT"
}
