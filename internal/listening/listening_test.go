package listening

import (
	"fmt"
	"testing"
)

// What apps and servers print when they start, and lines that name a port without
// listening on it.
func TestInLine(t *testing.T) {
	for line, want := range map[string]string{
		"app: listening on :3000":                                                             "[3000]",
		"Example app listening on port 3000":                                                  "[3000]",
		"Server running at http://127.0.0.1:3000/":                                            "[3000]",
		"INFO:     Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)":             "[8000]",
		" * Running on http://127.0.0.1:5000":                                                 "[5000]",
		"Tomcat started on port(s): 8080 (http) with context path ''":                         "[8080]",
		"Tomcat started on port 9000 (http) with context path '/'":                            "[9000]",
		"info: Microsoft.Hosting.Lifetime[14] Now listening on: http://[::]:80":               "[80]",
		"[2026-12-03 10:49:20 +0000] [1] [INFO] Listening at: http://0.0.0.0:8000 (1)":        "[8000]",
		"⇨ http server started on [::]:1323":                                                  "[1323]",
		"[GIN-debug] Listening and serving HTTP on :8080":                                     "[8080]",
		"* Listening on tcp://0.0.0.0:3000":                                                   "[3000]",
		`{"time":"2026-12-03T10:49:20.71Z","level":"INFO","msg":"serving","addr":":8080"}`:    "[8080]",
		`{"level":30,"time":1701600000000,"msg":"Server listening at http://127.0.0.1:3000"}`: "[3000]",
		`{"level":"info","port":4000,"msg":"ready"}`:                                          "[4000]",
		"2026/12/03 10:49:20 serving on 0.0.0.0:8081 and :9090":                               "[8081 9090]",
		"listen tcp :8080: bind: address already in use":                                      "[]",
		"connecting to postgres at db:5432":                                                   "[]",
		"2026/12/03 10:49:20 GET /health 200 1.2ms":                                           "[]",
		"starting up at 10:49:20":                                                             "[]",
	} {
		if got := fmt.Sprint(InLine(line)); got != want {
			t.Errorf("%q: %s, want %s", line, got, want)
		}
	}
}

func TestInLogKeepsTheLatestLast(t *testing.T) {
	got := InLog([]string{"listening on :3000", "GET / 200", "reloaded: listening on :4000", "listening on :3000"})
	if fmt.Sprint(got) != "[4000 3000]" {
		t.Errorf("%v", got)
	}
}

// A socket table as the kernel prints it: one listener on every address, port 3000
// (0x0BB8); one on 127.0.0.11 (Docker's embedded DNS); an established connection.
func TestInProcNet(t *testing.T) {
	tcp := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000 65532        0 1 1 0000000000000000 100 0 0 10 0
   1: 0B00007F:A1B2 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 100 0 0 10 0
   2: 0200A8C0:0BB8 0100A8C0:D431 01 00000000:00000000 00:00000000 00000000 65532        0 3 1 0000000000000000 20 4 30 10 -1
`
	tcp6 := `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000 65532        0 4 1 0000000000000000 100 0 0 10 0
`
	got := append(InProcNet([]byte(tcp)), InProcNet([]byte(tcp6))...)
	if fmt.Sprint(got) != "[0.0.0.0:3000 127.0.0.11:41394 [::1]:8080]" {
		t.Errorf("%v", got)
	}
	if got[0].Loopback() || !got[1].Loopback() || !got[2].Loopback() {
		t.Errorf("loopback: %v %v %v", got[0].Loopback(), got[1].Loopback(), got[2].Loopback())
	}
}
