// Package wire is the HTTP/1.1 wire format as the local load balancer (internal/lb)
// speaks it: request and response heads parsed in place, the one validator that
// decides which requests are refused and with what answer, and message bodies read
// by their framing (a length, chunked, or until the connection closes).
//
// It knows bytes on a connection, not targets, routes or the proxy: it imports
// nothing of berth's.
package wire

import (
	"bufio"
	"errors"
	"io"
	"net/http"
)

// The balancer reads request and response heads itself rather than with net/http's
// ReadRequest and ReadResponse, for two reasons:
//
//   - One request-head validator decides, as the ALB does, which requests are refused
//     before anything reaches a target (see ReadRequestHead), where net/http accepts
//     what a server behind a proxy must not see: Content-Length with
//     Transfer-Encoding (it drops the length and forwards the rest), bare LF, obsolete
//     line folding, a missing Host.
//   - A head parsed in place into buffers that the connection keeps costs no
//     allocation per request: net/http's builds a header map, a URL and a Request or
//     Response each time, a sixth of the proxy's CPU per request in a profile.

// The ALB's limits, from "Quotas for your Application Load Balancers", HTTP headers
// (docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html):
// request line 16K, single header 16K, entire request header 64K, entire response
// header 32K.
const (
	maxRequestLine  = 16 << 10
	maxFieldLine    = 16 << 10
	maxRequestHead  = 64 << 10
	maxResponseHead = 32 << 10
	// a chunk-size line with its extensions; and the largest chunk size taken: no
	// client writes a gigabyte in one chunk (curl and Go's client write at most a
	// buffer's worth), while a size like ffffffffffffffff is a body that never ends
	maxChunkLine = 4 << 10
	maxChunkSize = 1 << 30
)

// HeadError is a request the balancer refuses: the status it answers with, and why.
// The connection is closed after the answer, since where the next request would start
// is not known.
type HeadError struct {
	Code int
	Why  string
}

func (e *HeadError) Error() string { return e.Why }

func badRequest(why string) *HeadError { return &HeadError{http.StatusBadRequest, why} }

// Field is a header field as received: the name as sent (compared without regard to
// case) and the value without surrounding whitespace; both point into a head's buf.
type Field struct{ Name, Value []byte }

// Head is what requests and responses share: the bytes as read and the fields.
type Head struct {
	buf    []byte
	ends   []int // where each line of buf ends
	Fields []Field
	Minor  byte // HTTP/1.minor
	// framing: the body's length, -1 without one; chunked
	ContentLength int64
	Chunked       bool
	Close         bool // the sender will close, or asked to
	keepAlive     bool // Connection: keep-alive (HTTP/1.0)
	connection    int  // Connection fields, whose tokens name more hop-by-hop fields
}

// RequestHead is a request's head, one per client connection, reused.
type RequestHead struct {
	Head
	Method, Target, Host []byte
	Upgrade              []byte // the Upgrade field's value when Connection names it
	Expect100            bool
}

// ResponseHead is a target's answer, one per connection to a target, reused.
type ResponseHead struct {
	Head
	Code    int
	Status  []byte // "200 OK"
	trailer bool   // a Trailer field was sent
}

func (h *Head) reset() {
	h.buf, h.ends, h.Fields = h.buf[:0], h.ends[:0], h.Fields[:0]
	h.ContentLength, h.Chunked, h.Close, h.keepAlive, h.connection = 0, false, false, false, 0
}

// readLines reads a head's lines into h.buf, up to and including the empty line, and
// notes where each ends (after its LF) in h.ends. first bounds the first line's
// length and each any other's, without the line end, total all lines after the
// first; the codes are the answers when they are exceeded. A read error before the
// first byte is returned as it is, so that a connection closed between requests is
// io.EOF.
func (h *Head) readLines(br *bufio.Reader, first, each, total, firstCode, eachCode int) error {
	for n := 0; ; n++ {
		start := len(h.buf)
		for {
			frag, err := br.ReadSlice('\n')
			h.buf = append(h.buf, frag...)
			// +2: the line end, CRLF at most
			if n == 0 && len(h.buf) > first+2 {
				return &HeadError{firstCode, "request line too long"}
			}
			if n > 0 && (len(h.buf)-start > each+2 || len(h.buf)-h.ends[0] > total+2) {
				return &HeadError{eachCode, "request header too large"}
			}
			if err == nil {
				break
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			if len(h.buf) > 0 && errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		h.ends = append(h.ends, len(h.buf))
		if l := h.buf[start:]; n > 0 && (len(l) == 1 || len(l) == 2 && l[0] == '\r') {
			return nil
		}
	}
}

// line returns line i of h.buf without its line end, and whether that end was CRLF.
func (h *Head) line(i int) ([]byte, bool) {
	start := 0
	if i > 0 {
		start = h.ends[i-1]
	}
	l := h.buf[start : h.ends[i]-1]
	if len(l) > 0 && l[len(l)-1] == '\r' {
		return l[:len(l)-1], true
	}
	return l, false
}

// ReadRequestHead reads and checks a request head. It is the one place that decides
// which requests are refused before anything is forwarded, and with what answer, as
// the ALB does: its limits (above) give 414 for the request line and 431 for the
// header, and its desync mitigation ("Desync mitigation mode", the load balancer
// attribute routing.http.desync_mitigation_mode; the classification is that of the
// library behind it, github.com/aws/http-desync-guardian, docs/README.md) refuses
// with a 400 and a closed connection what it classifies Severe, and in its strictest
// mode what it classifies Ambiguous. The local balancer refuses both, as RFC 9112
// lets a server do, so that nothing a target behind the ALB could be tricked with
// passes here unnoticed:
//   - framing: Content-Length with Transfer-Encoding, Content-Length twice or not a
//     plain number, a Transfer-Encoding other than one "chunked", or any in HTTP/1.0
//     (Ambiguous: BothTeClPresent, DuplicateContentLength; Severe:
//     MultipleContentLength, BadContentLength, BadTransferEncoding,
//     MultipleTransferEncodingChunked), and a field name that reads as one of those
//     two once case and punctuation are set aside (SuspiciousHeader);
//   - lines: a bare LF (RFC 9112 2.2 lets a server refuse it; the issue asks for it),
//     obsolete line folding (MultilineHeader), a field without a colon or with
//     whitespace before it (RFC 9112 5.1: 400), a control character in a field value
//     or in the request target (BadHeader, AmbiguousUri; net/http's server refuses
//     those too);
//   - the request line: method, target and version each well formed (BadMethod,
//     BadVersion), HTTP/1.x only (505 otherwise);
//   - Host: exactly one, well formed, in HTTP/1.1 (RFC 9112 3.2: 400).
func ReadRequestHead(br *bufio.Reader, h *RequestHead) error {
	h.reset()
	h.Method, h.Target, h.Host, h.Upgrade, h.Expect100 = nil, nil, nil, nil, false
	err := h.readLines(br, maxRequestLine, maxFieldLine, maxRequestHead,
		http.StatusRequestURITooLong, http.StatusRequestHeaderFieldsTooLarge)
	if err != nil {
		return err
	}
	if _, crlf := h.line(len(h.ends) - 1); !crlf {
		return badRequest("bare LF") // the empty line that ends the head
	}
	line, crlf := h.line(0)
	if !crlf {
		return badRequest("bare LF")
	}
	if err := h.requestLine(line); err != nil {
		return err
	}
	hosts, cl, te := 0, 0, 0
	for i := 1; i < len(h.ends)-1; i++ {
		line, crlf := h.line(i)
		if !crlf {
			return badRequest("bare LF")
		}
		f, err := parseField(line)
		if err != nil {
			return err
		}
		switch {
		case EqualFold(f.Name, "Host"):
			hosts++
			if !validHost(f.Value) {
				return badRequest("malformed Host header")
			}
			h.Host = f.Value
		case EqualFold(f.Name, "Content-Length"):
			cl++
			n, ok := parseLength(f.Value)
			if !ok {
				return badRequest("malformed Content-Length")
			}
			h.ContentLength = n
		case EqualFold(f.Name, "Transfer-Encoding"):
			te++
			if !EqualFold(f.Value, "chunked") {
				return badRequest("unsupported Transfer-Encoding")
			}
			h.Chunked = true
		case EqualFold(f.Name, "Connection"):
			h.connectionTokens(f.Value)
		case EqualFold(f.Name, "Expect"):
			h.Expect100 = EqualFold(f.Value, "100-continue")
		case EqualFold(f.Name, "Upgrade"):
			h.Upgrade = f.Value
		case suspicious(f.Name):
			return badRequest("a header that reads as Content-Length or Transfer-Encoding")
		}
		h.Fields = append(h.Fields, f)
	}
	switch {
	case cl > 1 || te > 1:
		return badRequest("body length given twice")
	case cl > 0 && te > 0:
		return badRequest("Content-Length with Transfer-Encoding")
	case te > 0 && h.Minor == 0:
		return badRequest("Transfer-Encoding in HTTP/1.0")
	case hosts > 1 || hosts == 0 && h.Minor > 0:
		return badRequest("missing or repeated Host header")
	}
	if h.Chunked {
		h.ContentLength = -1
	}
	if h.Upgrade != nil && !h.connectionNames("Upgrade") {
		h.Upgrade = nil
	}
	h.Close = h.Close || h.Minor == 0 && !h.keepAlive
	// absolute-form: the target gets origin-form, and the authority is the host
	// (RFC 9112 3.2.2: it replaces the Host field)
	if t := h.Target; len(t) > 0 && t[0] != '/' && !(len(t) == 1 && t[0] == '*') && string(h.Method) != "CONNECT" {
		authority, path, ok := splitAbsolute(t)
		if !ok {
			return badRequest("malformed request target")
		}
		h.Host, h.Target = authority, path
	}
	return nil
}

// requestLine parses "METHOD SP target SP HTTP/1.x".
func (h *RequestHead) requestLine(line []byte) error {
	i := 0
	for i < len(line) && tchar(line[i]) {
		i++
	}
	if i == 0 || i == len(line) || line[i] != ' ' {
		return badRequest("malformed request line")
	}
	h.Method = line[:i]
	rest := line[i+1:]
	j := 0
	for j < len(rest) && rest[j] > ' ' && rest[j] != 0x7f {
		j++
	}
	if j == 0 || j == len(rest) || rest[j] != ' ' {
		return badRequest("malformed request line")
	}
	h.Target = rest[:j]
	v := rest[j+1:]
	if len(v) != 8 || string(v[:5]) != "HTTP/" || !digit(v[5]) || v[6] != '.' || !digit(v[7]) {
		return badRequest("malformed HTTP version")
	}
	if v[5] != '1' {
		return &HeadError{http.StatusHTTPVersionNotSupported, "HTTP version not supported"}
	}
	h.Minor = v[7] - '0'
	return nil
}

// parseField splits "name: value", refusing folding, whitespace before the colon, a
// name that is not a token and control characters in the value.
func parseField(line []byte) (Field, error) {
	if len(line) > 0 && (line[0] == ' ' || line[0] == '\t') {
		return Field{}, badRequest("obsolete line folding")
	}
	i := 0
	for i < len(line) && tchar(line[i]) {
		i++
	}
	if i == 0 || i == len(line) || line[i] != ':' {
		return Field{}, badRequest("malformed header line")
	}
	v := line[i+1:]
	for len(v) > 0 && (v[0] == ' ' || v[0] == '\t') {
		v = v[1:]
	}
	for len(v) > 0 && (v[len(v)-1] == ' ' || v[len(v)-1] == '\t') {
		v = v[:len(v)-1]
	}
	for _, c := range v {
		if c < ' ' && c != '\t' || c == 0x7f {
			return Field{}, badRequest("control character in a header value")
		}
	}
	return Field{Name: line[:i], Value: v}, nil
}

// connectionTokens notes the Connection field's tokens.
func (h *Head) connectionTokens(v []byte) {
	h.connection++
	for len(v) > 0 {
		var tok []byte
		tok, v = nextToken(v)
		switch {
		case EqualFold(tok, "close"):
			h.Close = true
		case EqualFold(tok, "keep-alive"):
			h.keepAlive = true
		}
	}
}

// connectionNames reports whether a Connection field names name.
func (h *Head) connectionNames(name string) bool {
	return h.connection > 0 && h.Named([]byte(name))
}

// Named reports whether a Connection field lists name: such a field stays on its hop.
func (h *Head) Named(name []byte) bool {
	if h.connection == 0 {
		return false
	}
	for _, f := range h.Fields {
		if !EqualFold(f.Name, "Connection") {
			continue
		}
		for v := f.Value; len(v) > 0; {
			var tok []byte
			tok, v = nextToken(v)
			if equalFoldBytes(tok, name) {
				return true
			}
		}
	}
	return false
}

// nextToken splits a comma-separated list's first element off, trimmed.
func nextToken(v []byte) (tok, rest []byte) {
	i := 0
	for i < len(v) && v[i] != ',' {
		i++
	}
	tok, rest = v[:i], v[min(i+1, len(v)):]
	for len(tok) > 0 && (tok[0] == ' ' || tok[0] == '\t') {
		tok = tok[1:]
	}
	for len(tok) > 0 && (tok[len(tok)-1] == ' ' || tok[len(tok)-1] == '\t') {
		tok = tok[:len(tok)-1]
	}
	return tok, rest
}

// ReadResponseHead reads a target's answer head. A target is the project's own
// service, not a hostile client, so this is lenient where net/http's ReadResponse is
// (a bare LF ends a line), but the framing must be unambiguous and the head within
// the ALB's 32K for a response; anything else is the target's fault, a 502.
func ReadResponseHead(br *bufio.Reader, h *ResponseHead) error {
	h.reset()
	h.trailer = false
	err := h.readLines(br, maxResponseHead, maxResponseHead, maxResponseHead, http.StatusBadGateway, http.StatusBadGateway)
	if err != nil {
		return err
	}
	line, _ := h.line(0)
	// "HTTP/1.x SSS reason"
	if len(line) < 12 || string(line[:7]) != "HTTP/1." || !digit(line[7]) || line[8] != ' ' ||
		!digit(line[9]) || !digit(line[10]) || !digit(line[11]) || len(line) > 12 && line[12] != ' ' {
		return errors.New("malformed status line from the target")
	}
	h.Minor = line[7] - '0'
	h.Code = int(line[9]-'0')*100 + int(line[10]-'0')*10 + int(line[11]-'0')
	h.Status = line[9:]
	h.ContentLength = -1
	cl := false
	for i := 1; i < len(h.ends)-1; i++ {
		line, _ := h.line(i)
		f, err := parseField(line)
		if err != nil {
			return errors.New("malformed header from the target: " + err.Error())
		}
		switch {
		case EqualFold(f.Name, "Content-Length"):
			n, ok := parseLength(f.Value)
			if !ok || cl && n != h.ContentLength {
				return errors.New("malformed Content-Length from the target")
			}
			h.ContentLength, cl = n, true
		case EqualFold(f.Name, "Transfer-Encoding"):
			if !EqualFold(f.Value, "chunked") || h.Chunked {
				return errors.New("unsupported Transfer-Encoding from the target")
			}
			h.Chunked = true
		case EqualFold(f.Name, "Connection"):
			h.connectionTokens(f.Value)
		case EqualFold(f.Name, "Trailer"):
			h.trailer = true
		}
		h.Fields = append(h.Fields, f)
	}
	if h.Chunked {
		h.ContentLength = -1 // RFC 9112 6.3: Transfer-Encoding overrides a length
	}
	h.Close = h.Close || h.Minor == 0 && !h.keepAlive
	return nil
}

// splitAbsolute splits "scheme://authority/path?query" into the authority and the
// origin-form rest ("/" when there is none).
func splitAbsolute(t []byte) (authority, path []byte, ok bool) {
	i := 0
	for i < len(t) && (t[i] >= 'a' && t[i] <= 'z' || t[i] >= 'A' && t[i] <= 'Z' || i > 0 && (digit(t[i]) || t[i] == '+' || t[i] == '-' || t[i] == '.')) {
		i++
	}
	if i == 0 || len(t) < i+3 || string(t[i:i+3]) != "://" {
		return nil, nil, false
	}
	rest := t[i+3:]
	j := 0
	for j < len(rest) && rest[j] != '/' && rest[j] != '?' {
		j++
	}
	authority = rest[:j]
	if k := lastIndexByte(authority, '@'); k >= 0 {
		authority = authority[k+1:] // userinfo is not the host
	}
	if len(authority) == 0 || !validHost(authority) {
		return nil, nil, false
	}
	path = rest[j:]
	if len(path) == 0 || path[0] == '?' {
		path = append([]byte("/"), path...)
	}
	return authority, path, true
}

func lastIndexByte(b []byte, c byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == c {
			return i
		}
	}
	return -1
}

// parseLength is 1*DIGIT, without sign or list, and small enough to be a length.
func parseLength(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range v {
		if !digit(c) {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// suspicious reports a field name that is not Content-Length or Transfer-Encoding but
// reads as one once case and punctuation are set aside (Transfer_Encoding): some
// servers normalize names so, and would see a length this balancer did not.
func suspicious(name []byte) bool {
	if len(name) != len("Content-Length") && len(name) != len("Transfer-Encoding") {
		return false
	}
	var buf [17]byte
	for i, c := range name {
		switch {
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		case c >= 'a' && c <= 'z' || digit(c):
		default:
			c = '-'
		}
		buf[i] = c
	}
	s := string(buf[:len(name)])
	return s == "content-length" || s == "transfer-encoding"
}

// validHost is the bytes net/http's server takes in a Host field (httpguts).
func validHost(v []byte) bool {
	for _, c := range v {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || digit(c) || hostPunct(c)) {
			return false
		}
	}
	return true
}

func hostPunct(c byte) bool {
	switch c {
	case '!', '$', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', ':', ';', '=', '[', ']', '_', '~':
		return true
	}
	return false
}

func digit(c byte) bool { return c >= '0' && c <= '9' }

// tchar is RFC 9110's token character.
func tchar(c byte) bool {
	if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || digit(c) {
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

// EqualFold compares ASCII without regard to case, without converting b to a string.
func EqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		if lower(b[i]) != lower(s[i]) {
			return false
		}
	}
	return true
}

func equalFoldBytes(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
