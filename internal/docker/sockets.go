package docker

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/berthdev/berth/internal/listening"
	"github.com/docker/docker/client"
)

// Sockets reads the listening sockets of a container's network namespace from
// /proc, which works where berth runs beside a Linux engine. The engine's process id
// names a process of this machine only then: it is believed only when that process is
// in the container's control group.
func Sockets(ctx context.Context, cli *client.Client, id string) ([]listening.Socket, bool) {
	if runtime.GOOS != "linux" {
		return nil, false
	}
	info, err := cli.ContainerInspect(ctx, id)
	if err != nil || info.State == nil || info.State.Pid <= 0 {
		return nil, false
	}
	proc := "/proc/" + strconv.Itoa(info.State.Pid)
	if cg, err := os.ReadFile(proc + "/cgroup"); err != nil || !strings.Contains(string(cg), info.ID) {
		return nil, false
	}
	var socks []listening.Socket
	seen := false
	for _, table := range []string{"/net/tcp", "/net/tcp6"} {
		if b, err := os.ReadFile(proc + table); err == nil {
			seen = true
			socks = append(socks, listening.InProcNet(b)...)
		}
	}
	return socks, seen
}
