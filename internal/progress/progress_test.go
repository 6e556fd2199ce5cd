package progress

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/session"
	"github.com/berthdev/berth/internal/stacks"
	"github.com/berthdev/berth/internal/style"
)

func TestProgressViews(t *testing.T) {
	ev := stacks.Event{Stack: "berth-dev-network", Resource: "VPC", Type: "AWS::EC2::VPC", Status: "CREATE_COMPLETE"}

	var plain bytes.Buffer
	p := New(&plain, "text", false, style.Plain())
	p.Event(ev)
	if strings.Contains(plain.String(), "\x1b[") || !strings.Contains(plain.String(), "VPC") || !strings.Contains(plain.String(), "CREATE_COMPLETE") {
		t.Errorf("plain: %q", plain.String())
	}

	var js bytes.Buffer
	p = New(&js, "json", false, style.Plain())
	p.Event(ev)
	p.Message("hello")
	for _, line := range strings.Split(strings.TrimSpace(js.String()), "\n") {
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil || v["kind"] == nil {
			t.Errorf("not a JSON event line: %q", line)
		}
	}

	// JSON lines carry fields, not prose
	var idl bytes.Buffer
	New(&idl, "json", false, style.Plain()).Identity(session.Identity{Account: "123456789012", Region: "eu-west-1", ARN: "arn:aws:iam::123456789012:user/a"})
	var id map[string]any
	if err := json.Unmarshal(idl.Bytes(), &id); err != nil || id["account"] != "123456789012" || id["region"] != "eu-west-1" || id["caller"] == nil {
		t.Errorf("identity line %s", idl.String())
	}

	// on a terminal a stack is one line redrawn in place, counting its resources
	var tty bytes.Buffer
	p = New(&tty, "text", true, style.Plain())
	p.Stack("berth-dev-network", "started", 2)
	ev.Status = "CREATE_IN_PROGRESS"
	p.Event(ev)
	ev.Status = "CREATE_COMPLETE"
	p.Event(ev)
	p.Event(stacks.Event{Stack: "berth-dev-network", Resource: "Subnet", Type: "AWS::EC2::Subnet", Status: "CREATE_COMPLETE"})
	p.Stack("berth-dev-network", "CREATE_COMPLETE", 2)
	out := tty.String()
	if !strings.Contains(out, "\r\x1b[2K") || !strings.Contains(out, "1/2 resources") || !strings.Contains(out, "2/2 resources") ||
		strings.Count(out, "\n") != 1 || strings.Contains(out, "AWS::EC2::VPC") {
		t.Errorf("tty view is not one line per stack redrawn in place: %q", out)
	}
}
