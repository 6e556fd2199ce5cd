//go:build linux

package lb

import (
	"io"
	"net"
	"os"
	"syscall"
	"unsafe"
)

// sockIO reads and writes a TCP socket with raw system calls, through the runtime's
// poller (syscall.RawConn), so that a read that finds nothing parks the goroutine as
// net.Conn's does and deadlines still hold.
//
// Why: net.Conn's Read and Write enter the scheduler's syscall state around every
// call. On a small machine shared with the client and the targets, a write that wakes
// its peer often loses the CPU to that peer inside the call; the runtime's monitor
// thread (sysmon) then takes the P away and hands it to another thread, and the
// return has to find one again. In a profile of berth up under wrk that was a tenth
// of the process's CPU (sysmon's 20 µs sleeps, futex wake-ups, thread switches),
// which nginx, one thread per epoll loop, does not pay. A read or write on a
// non-blocking socket does not block, so it can run as a raw system call on the
// goroutine's own thread, as an event loop's would.
type sockIO struct {
	rc  syscall.RawConn
	buf []byte // the argument of the call under way
	n   int
	err error
	// replyWait: the next write carries the last bytes of a request to a target, and
	// returns once the answer can be read (see writeWait)
	replyWait bool
	waited    bool
	// the callbacks, bound once so that a call does not allocate a closure
	readFn, writeFn, writeWaitFn func(uintptr) bool
}

// newSockIO is nil for a connection that is not plain TCP (TLS): it keeps net.Conn.
func newSockIO(c net.Conn) *sockIO {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return nil
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return nil
	}
	s := &sockIO{rc: rc}
	s.readFn, s.writeFn, s.writeWaitFn = s.read, s.write, s.writeWait
	return s
}

func (s *sockIO) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	s.buf, s.n, s.err = p, 0, nil
	err := s.rc.Read(s.readFn)
	s.buf = nil
	if err != nil {
		return 0, err
	}
	return s.n, s.err
}

func (s *sockIO) read(fd uintptr) bool {
	for {
		n, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&s.buf[0])), uintptr(len(s.buf)))
		switch e {
		case 0:
			s.n = int(n)
			if n == 0 {
				s.err = io.EOF
			}
			return true
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false // the poller wakes the goroutine when there is something
		}
		s.err = os.NewSyscallError("read", e)
		return true
	}
}

func (s *sockIO) Write(p []byte) (int, error) {
	done := 0
	if s.replyWait && len(p) > 0 {
		s.replyWait = false
		s.buf, s.n, s.err, s.waited = p, 0, nil, false
		err := s.rc.Read(s.writeWaitFn)
		s.buf = nil
		if err != nil {
			return s.n, err
		}
		if s.err != nil {
			return s.n, s.err
		}
		done = s.n
	}
	for done < len(p) {
		s.buf, s.n, s.err = p[done:], 0, nil
		err := s.rc.Write(s.writeFn)
		s.buf = nil
		if err != nil {
			return done, err
		}
		if s.err != nil {
			return done, s.err
		}
		done += s.n
	}
	return done, nil
}

func (s *sockIO) write(fd uintptr) bool {
	for {
		// send with MSG_NOSIGNAL: a peer that is gone is EPIPE, without a signal
		n, _, e := syscall.RawSyscall6(syscall.SYS_SENDTO, fd, uintptr(unsafe.Pointer(&s.buf[0])), uintptr(len(s.buf)),
			syscall.MSG_NOSIGNAL, 0, 0)
		switch e {
		case 0:
			s.n = int(n)
			return true
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		}
		s.err = os.NewSyscallError("write", e)
		return true
	}
}

// writeWait sends a whole request from inside a read on the same connection, and
// returns when the answer has arrived (or the connection failed), without a read
// that finds nothing first: the poller's readiness is reset when the read starts,
// before the request goes out, so the answer, which cannot come earlier, is seen.
// A request the socket does not take in one call is finished by Write's ordinary
// loop, and the read that follows waits as usual.
func (s *sockIO) writeWait(fd uintptr) bool {
	if s.waited {
		return true // readable: the caller's next Read takes the answer
	}
	if !s.write(fd) || s.err != nil || s.n < len(s.buf) {
		return true
	}
	s.waited = true
	return false
}

// setReplyWait arms the next Write (a flush of the request's last bytes) to wait for
// the answer.
func (s *sockIO) setReplyWait() { s.replyWait = true }
