package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/berthdev/berth/internal/ecsexec"
	"github.com/gorilla/websocket"
)

// berth exec's Session Manager client is AWS's, built into berth and run as a child
// of berth itself. Started the way berth exec starts it, it joins the session's data
// channel with the session's token, which it reads from the environment (never from
// its arguments, which anyone on the machine can list). The data channel here is a
// loopback stand-in that records the client's first message: the emulator opens no
// session, and the protocol after that first message is AWS's code.
func TestTheBuiltInSessionClientJoinsTheDataChannel(t *testing.T) {
	t.Parallel()
	opened := make(chan map[string]any, 1)
	up := websocket.Upgrader{}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		var first map[string]any
		if c.ReadJSON(&first) == nil {
			select {
			case opened <- first:
			default:
			}
		}
		time.Sleep(time.Second)
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()

	target := fmt.Sprintf(`{"Target":"ecs:berth-dev_%s_%s"}`, "0123456789abcdef", "0123456789abcdef-1234567890")
	session := fmt.Sprintf(`{"sessionId":"ecs-execute-command-0a1b2c","streamUrl":"ws://%s/v1/data-channel/ecs-execute-command-0a1b2c","tokenValue":"the-token"}`, ln.Addr())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, ecsexec.ChildArg, ecsexec.ResponseEnv, "us-east-1", "StartSession", "", target, "http://"+ln.Addr().String())
	cmd.Env = append(os.Environ(), ecsexec.ResponseEnv+"="+session, "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_REGION=us-east-1")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	select {
	case first := <-opened:
		if first["TokenValue"] != "the-token" {
			b, _ := json.Marshal(first)
			t.Errorf("the client opened the data channel with %s, not the session's token", b)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("the client did not open the data channel:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "Starting session with SessionId: ecs-execute-command-0a1b2c") {
		t.Errorf("the client's output:\n%s", out.String())
	}
}
