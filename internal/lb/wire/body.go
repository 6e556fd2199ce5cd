package wire

import (
	"bufio"
	"errors"
	"io"
)

// Body reads a message body off its connection's reader by the head's framing: a
// length, chunked, or (a response without either) until the connection closes. It is
// kept with its connection and reused. A chunked body's trailer lines, when kept, are
// in trailer.
type Body struct {
	br      *bufio.Reader
	remain  int64 // of the length, or of the current chunk
	chunked bool
	toClose bool // until the connection closes
	started bool // the first chunk's size was read
	done    bool
	err     error // the sticky error, io.EOF at the end
	// trailer keeps a chunked body's trailer lines, CRLF-terminated; nil drops them
	trailer *[]byte
}

// ErrMalformedBody is a chunked body this balancer cannot read: the client (or target)
// broke the framing, so nothing after it can be trusted either.
var ErrMalformedBody = errors.New("malformed chunked body")

// Reset starts a body on br: length bytes, chunked, or until the connection closes
// (toClose). A chunked body's trailer lines go to *trailer when trailer is not nil.
func (b *Body) Reset(br *bufio.Reader, length int64, chunked, toClose bool, trailer *[]byte) {
	if chunked || toClose {
		length = 0
	}
	*b = Body{br: br, remain: length, chunked: chunked, toClose: toClose, trailer: trailer}
	if !chunked && !toClose && length == 0 {
		b.done, b.err = true, io.EOF
	}
	if trailer != nil {
		*trailer = (*trailer)[:0]
	}
}

// Read reads the body; io.EOF at its end.
func (b *Body) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.toClose {
		n, err := b.br.Read(p)
		if err != nil {
			b.err = err
		}
		return n, err
	}
	if b.chunked && b.remain == 0 {
		if err := b.nextChunk(); err != nil {
			b.err = err
			return 0, err
		}
	}
	if int64(len(p)) > b.remain {
		p = p[:b.remain]
	}
	n, err := b.br.Read(p)
	b.remain -= int64(n)
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		b.err = err
		return n, err
	}
	if b.remain == 0 && !b.chunked {
		b.done, b.err = true, io.EOF
	}
	return n, nil
}

// Start reads the first chunk's size, so that a size no body has is refused before
// the request is forwarded rather than waited for.
func (b *Body) Start() error {
	if !b.chunked || b.started || b.err != nil {
		return b.err
	}
	if err := b.nextChunk(); err != nil {
		b.err = err
		return err
	}
	return nil
}

// nextChunk reads the CRLF that ends the chunk before (but the first), and the next
// chunk-size line; after the last chunk, the trailer.
func (b *Body) nextChunk() error {
	if b.started {
		if err := b.crlf(); err != nil {
			return err
		}
	}
	b.started = true
	line, err := b.readLine()
	if err != nil {
		return err
	}
	// chunk-size [ chunk-ext ]: hex digits, then nothing or ';' and extensions
	var n int64
	i := 0
	for ; i < len(line); i++ {
		c := line[i]
		var d byte
		switch {
		case digit(c):
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			goto end
		}
		n = n<<4 | int64(d)
		if n > maxChunkSize {
			return ErrMalformedBody
		}
	}
end:
	if i == 0 {
		return ErrMalformedBody
	}
	if rest := line[i:]; len(rest) > 0 {
		for len(rest) > 0 && (rest[0] == ' ' || rest[0] == '\t') {
			rest = rest[1:]
		}
		if len(rest) == 0 || rest[0] != ';' {
			return ErrMalformedBody
		}
	}
	if n > 0 {
		b.remain = n
		return nil
	}
	// the last chunk: the trailer, up to an empty line
	for total := 0; ; {
		line, err := b.readLine()
		if err != nil {
			return err
		}
		if len(line) == 0 {
			break
		}
		if total += len(line) + 2; total > maxRequestHead {
			return ErrMalformedBody
		}
		if _, err := parseField(line); err != nil {
			return ErrMalformedBody
		}
		if b.trailer != nil {
			*b.trailer = append(append(*b.trailer, line...), "\r\n"...)
		}
	}
	b.done = true
	return io.EOF
}

// readLine reads a CRLF-terminated line of at most maxChunkLine bytes; a bare LF is
// malformed, as in the head.
func (b *Body) readLine() ([]byte, error) {
	line, err := b.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull || len(line) > maxChunkLine {
		return nil, ErrMalformedBody
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	if len(line) < 2 || line[len(line)-2] != '\r' {
		return nil, ErrMalformedBody
	}
	return line[:len(line)-2], nil
}

func (b *Body) crlf() error {
	line, err := b.readLine()
	if err != nil {
		return err
	}
	if len(line) != 0 {
		return ErrMalformedBody
	}
	return nil
}
