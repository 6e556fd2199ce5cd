// Package listening tells which ports a process listens on: from the lines it logs
// ("listening on :3000", "Uvicorn running on http://0.0.0.0:8000") and, on Linux, from
// the kernel's table of its network namespace's sockets (/proc/PID/net/tcp). berth up
// uses it to name the port an app listens on when it is not the manifest's; it is a
// leaf so that the AWS path (berth verify, from the task's logs) can use InLog too.
//
// It imports nothing of berth's but internal/lazyregexp.
package listening

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/berthdev/berth/internal/lazyregexp"
)

// A line says where the app listens when it has one of these words or keys...
var sayListen = lazyregexp.New(`(?i)\blisten(s|ing)?\b|\bserving\b|\brunning (on|at)\b|\bstarted (on|at)\b|` +
	`\bserver started\b|\bbound to\b|\bavailable (on|at)\b|"(addr|address|listen|listen_addr|port)"\s*:`)

// ...and none of these, which say it could not.
var sayFailed = lazyregexp.New(`(?i)address already in use|bind: |\berror\b|\bfailed\b|\bcannot\b|can't|unable`)

var (
	urlPort   = lazyregexp.New(`(?i)\b(?:https?|tcp)://(?:\[[0-9a-f:.]*\]|[\w.-]*):(\d{1,5})`)
	hostPort  = lazyregexp.New(`(?i)(?:^|[\s"'=(,])(?:\[[0-9a-f:.]*\]|[a-z0-9][\w.-]*|\*)?:(\d{2,5})`)
	namedPort = lazyregexp.New(`(?i)\bports?(?:\(s\))?"?\s*[:=]?\s*"?(\d{2,5})\b`)
)

// InLine returns the ports a log line says the app listens on, in the order it names
// them; none when the line says no such thing.
func InLine(line string) []int {
	loc := sayListen.Regexp().FindStringIndex(line)
	if loc == nil || sayFailed.MatchString(line) {
		return nil
	}
	rest := line[loc[0]:] // what comes before the words (a timestamp) is not an address
	var ports []int
	add := func(s string) {
		if p, err := strconv.Atoi(s); err == nil && p > 0 && p < 65536 && !slices.Contains(ports, p) {
			ports = append(ports, p)
		}
	}
	for _, re := range []*lazyregexp.Regexp{urlPort, hostPort, namedPort} {
		for _, m := range re.Regexp().FindAllStringSubmatchIndex(rest, -1) {
			end := m[3]
			if end < len(rest) && (rest[end] == ':' || rest[end] == '.' && end+1 < len(rest) && isDigit(rest[end+1])) {
				continue // a time of day (10:49:20) or a version (1.2:3.4), not a port
			}
			add(rest[m[2]:m[3]])
		}
	}
	return ports
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// InLog returns the ports the lines say the app listens on, latest last, each once.
func InLog(lines []string) []int {
	var ports []int
	for _, l := range lines {
		for _, p := range InLine(l) {
			ports = slices.DeleteFunc(ports, func(x int) bool { return x == p })
			ports = append(ports, p)
		}
	}
	return ports
}

// Socket is a listening TCP socket.
type Socket struct {
	IP   net.IP
	Port int
}

// Loopback reports a socket that only its own network namespace can reach.
func (s Socket) Loopback() bool { return s.IP.IsLoopback() }

func (s Socket) String() string { return net.JoinHostPort(s.IP.String(), strconv.Itoa(s.Port)) }

// InProcNet returns the listening sockets of a Linux socket table, the text of
// /proc/PID/net/tcp or tcp6: each line's local address (hex IP, in the kernel's byte
// order, and hex port) where its state is 0A, TCP_LISTEN.
func InProcNet(table []byte) []Socket {
	var out []Socket
	sc := bufio.NewScanner(bytes.NewReader(table))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || f[3] != "0A" {
			continue
		}
		hexIP, hexPort, ok := strings.Cut(f[1], ":")
		if !ok {
			continue
		}
		port, err := strconv.ParseUint(hexPort, 16, 16)
		raw, herr := hex.DecodeString(hexIP)
		if err != nil || herr != nil || (len(raw) != 4 && len(raw) != 16) {
			continue
		}
		// the kernel prints each 32-bit word of the address in its own byte order,
		// little-endian on the machines Docker runs on
		ip := make(net.IP, len(raw))
		for w := 0; w < len(raw); w += 4 {
			for i := range 4 {
				ip[w+i] = raw[w+3-i]
			}
		}
		s := Socket{IP: ip, Port: int(port)}
		if !slices.ContainsFunc(out, func(x Socket) bool { return x.Port == s.Port && x.IP.Equal(s.IP) }) {
			out = append(out, s)
		}
	}
	return out
}
