package local

import (
	"net"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/listening"
)

func sock(ip string, port int) listening.Socket {
	return listening.Socket{IP: net.ParseIP(ip), Port: port}
}

func TestPortNote(t *testing.T) {
	dns := sock("127.0.0.11", 41394)
	for _, c := range []struct {
		name  string
		socks []listening.Socket
		seen  bool
		lines []string
		want  string // in the note; "" for none
	}{
		{"listens elsewhere", []listening.Socket{dns, sock("0.0.0.0", 3000)}, true, nil,
			"nothing listens on port 8080 (port: in berth.yml), but the app listens on 3000 (its sockets): set port: in berth.yml"},
		{"listens on loopback only", []listening.Socket{sock("127.0.0.1", 8080)}, true, nil,
			"it listens on 127.0.0.1:8080 only (its sockets), which the load balancer cannot reach from outside the container: make it listen on 0.0.0.0:8080"},
		{"listens where it should", []listening.Socket{sock("::", 8080), sock("0.0.0.0", 9090)}, true, nil, ""},
		{"listens nowhere yet", []listening.Socket{dns}, true, nil, ""},
		{"its log says another port", nil, false, []string{"booting", "Server running at http://0.0.0.0:3000/", "GET / 200"},
			`but the app says it listens on 3000 (its log: "Server running at http://0.0.0.0:3000/")`},
		{"its log says the port", nil, false, []string{"listening on :8080"}, ""},
		{"its log says nothing", nil, false, []string{"booting"}, ""},
	} {
		got := portNote(8080, c.socks, c.seen, c.lines)
		if c.want == "" && got != "" || !strings.Contains(got, c.want) {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
