// Package docker is berth up's edge of the local Docker engine: finding the engine as
// the Docker CLI does, the replicas' containers and network and the labels that find
// them again, their logs and sockets, and the image they run, built or pulled.
//
// It knows the engine, not the scheduler: it imports image, manifest, listening and
// localtls, nothing of berth up's above it and nothing of the AWS path.
package docker

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"
	"github.com/docker/go-connections/nat"
)

// Labels berth puts on everything it creates, so that "berth down" finds what a
// crashed "berth up" left behind.
const (
	LabelManaged  = "dev.berth.managed"
	LabelEnv      = "dev.berth.env"
	LabelService  = "dev.berth.service"
	LabelRevision = "dev.berth.revision"
	LabelReplica  = "dev.berth.replica"
)

// Connect returns a client of the local Docker engine, found as the Docker CLI finds
// it: DOCKER_HOST and friends, else the current Docker context, else the platform's
// default (the socket, or Docker Desktop's named pipe on Windows). The API version is
// negotiated with the engine.
func Connect(ctx context.Context) (*client.Client, error) {
	host, contextName, err := contextHost()
	if err != nil {
		return nil, &NoEngineError{Err: err}
	}
	opts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
	if host != "" {
		opts = append(opts, client.WithHost(host))
	}
	cli, err := client.NewClientWithOpts(opts...)
	if err != nil {
		return nil, &NoEngineError{Err: err, Context: contextName}
	}
	// an engine that accepts and never answers must not hang berth
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := cli.Ping(pctx); err != nil {
		cli.Close()
		return nil, &NoEngineError{Err: err, Context: contextName}
	}
	return cli, nil
}

// NoEngineError says that no Docker engine answered.
type NoEngineError struct {
	Err     error
	Context string // the Docker context berth took the engine's address from, if any
}

func (e *NoEngineError) Error() string {
	if e.Context != "" {
		return fmt.Sprintf("no Docker engine reachable (docker context %s): %v", e.Context, e.Err)
	}
	return "no Docker engine reachable: " + e.Err.Error()
}

// Hint tells the user what to do.
func (e *NoEngineError) Hint() string {
	if e.Context != "" {
		return "start that engine, or choose another with \"docker context use NAME\" (or DOCKER_CONTEXT, DOCKER_HOST); \"docker info\" shows whether it answers"
	}
	return "start Docker (or set DOCKER_HOST, or \"docker context use NAME\"), then try again; \"docker info\" shows whether it answers"
}

func (e *NoEngineError) Unwrap() error { return e.Err }

func networkName(env, service string) string { return "berth-" + env + "-" + service }

// Filter selects what berth made for env and service; empty means any.
func Filter(env, service string) filters.Args {
	f := filters.NewArgs(filters.Arg("label", LabelManaged+"=true"))
	if env != "" {
		f.Add("label", LabelEnv+"="+env)
	}
	if service != "" {
		f.Add("label", LabelService+"="+service)
	}
	return f
}

// EnsureNetwork makes the network of env and service, unless it is there.
func EnsureNetwork(ctx context.Context, cli *client.Client, env, service string) (string, error) {
	name := networkName(env, service)
	nets, err := cli.NetworkList(ctx, network.ListOptions{Filters: filters.NewArgs(filters.Arg("name", name))})
	if err != nil {
		return "", fmt.Errorf("list networks: %w", err)
	}
	for _, n := range nets {
		if n.Name == name {
			return name, nil
		}
	}
	_, err = cli.NetworkCreate(ctx, name, network.CreateOptions{
		Driver: "bridge",
		Labels: map[string]string{LabelManaged: "true", LabelEnv: env, LabelService: service},
	})
	if err != nil {
		return "", fmt.Errorf("create network %s: %w", name, err)
	}
	return name, nil
}

// Spec is one replica as the engine is to run it.
type Spec struct {
	Name, Image, Network, Env, Service, Revision string
	Port, Memory                                 int
	NanoCPUs                                     int64
	Vars                                         []string
	// Publish publishes the port on the loopback address, for a balancer that cannot
	// reach container addresses; elsewhere nothing on the host reaches a replica but
	// through its network (and publishing costs the start a fifth of a second).
	Publish bool
	Serial  int // 1 for the first replica of a berth up, counting up
}

// Started is what the engine says of a replica it has just started.
type Started struct {
	ID, IP, Published string
	// Exited is set when the app was gone before it could be inspected: a crash at
	// start, which has no addresses any more.
	Exited   bool
	ExitCode int
}

// Start creates and starts one replica. Its port, when published, is published
// on the loopback address only: nothing outside this machine can reach a replica, as
// on AWS nothing outside the VPC reaches a task.
func Start(ctx context.Context, cli *client.Client, s Spec) (Started, error) {
	port := nat.Port(strconv.Itoa(s.Port) + "/tcp")
	var bindings nat.PortMap
	if s.Publish {
		bindings = nat.PortMap{port: {{HostIP: "127.0.0.1", HostPort: ""}}}
	}
	cfg := &container.Config{
		Image:        s.Image,
		Env:          s.Vars,
		ExposedPorts: nat.PortSet{port: {}},
		Labels: map[string]string{
			LabelManaged: "true", LabelEnv: s.Env, LabelService: s.Service,
			LabelRevision: s.Revision, LabelReplica: s.Name,
		},
	}
	host := &container.HostConfig{
		NetworkMode:  container.NetworkMode(s.Network),
		PortBindings: bindings,
		Resources: container.Resources{
			NanoCPUs: s.NanoCPUs,
			Memory:   int64(s.Memory) << 20,
		},
	}
	netcfg := &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{
		s.Network: {Aliases: []string{s.Name}},
	}}
	created, err := cli.ContainerCreate(ctx, cfg, host, netcfg, nil, containerName(s))
	if err != nil {
		return Started{}, fmt.Errorf("create replica %s: %w", s.Name, err)
	}
	st := Started{ID: created.ID}
	if err := cli.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		cli.ContainerRemove(context.Background(), created.ID, container.RemoveOptions{Force: true})
		if strings.Contains(err.Error(), "OCI runtime") { // runc's and crun's words for a process that did not start
			return Started{}, &CannotStartError{Replica: s.Name, err: err}
		}
		return Started{}, fmt.Errorf("start replica %s: %w", s.Name, err)
	}
	info, err := cli.ContainerInspect(ctx, created.ID)
	if err != nil {
		return st, fmt.Errorf("inspect replica %s: %w", s.Name, err)
	}
	if info.State != nil && !info.State.Running {
		// The app exited between start and inspect, and the engine has taken its
		// address and port back (what "the engine published no port" was): a crash at
		// start, for the scheduler to report and back off from, like any other exit.
		st.Exited, st.ExitCode = true, info.State.ExitCode
		return st, nil
	}
	if n := info.NetworkSettings.Networks[s.Network]; n != nil {
		st.IP = n.IPAddress
	}
	if b := info.NetworkSettings.Ports[port]; len(b) > 0 {
		st.Published = b[0].HostIP + ":" + b[0].HostPort
	}
	return st, nil
}

// CannotStartError says the engine accepted a replica but could not start its
// process: a command that does not exist or cannot run in the image. ECS calls it
// CannotStartContainerError and treats it as a task that stopped: so does berth up.
type CannotStartError struct {
	Replica string
	err     error
}

func (e *CannotStartError) Error() string {
	return fmt.Sprintf("%s could not start: %s", e.Replica, e.Reason())
}

// Reason is the runtime's own words, without the layers of the engine's around them
// ("failed to create task for container: failed to create shim task: ...").
func (e *CannotStartError) Reason() string {
	msg := e.err.Error()
	if i := strings.LastIndex(msg, "exec: "); i >= 0 {
		msg = msg[i:]
	}
	return strings.TrimSuffix(msg, ": unknown")
}

func (e *CannotStartError) Unwrap() error { return e.err }

// CPUs is how many CPUs the Docker engine has, 0 when it does not say.
func CPUs(ctx context.Context, cli *client.Client) int {
	info, err := cli.Info(ctx)
	if err != nil {
		return 0
	}
	return info.NCPU
}

// Tail returns the last n lines a replica wrote, for the report of its exit.
func Tail(ctx context.Context, cli *client.Client, id string, n int) []string {
	rc, err := cli.ContainerLogs(ctx, id, container.LogsOptions{ShowStdout: true, ShowStderr: true, Tail: strconv.Itoa(n)})
	if err != nil {
		return nil
	}
	defer rc.Close()
	var buf bytes.Buffer
	stdcopy.StdCopy(&buf, &buf, io.LimitReader(rc, 64<<10))
	text := strings.TrimRight(buf.String(), "\n")
	if text == "" {
		return nil
	}
	return strings.Split(text, "\n")
}

func containerName(s Spec) string { return "berth-" + s.Env + "-" + s.Name }

// RemoveAll stops and removes every container and network berth made for env and
// service (empty: any); containers get grace seconds after SIGTERM.
func RemoveAll(ctx context.Context, cli *client.Client, env, service string, grace int) (containers, networks int, err error) {
	list, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: Filter(env, service)})
	if err != nil {
		return 0, 0, fmt.Errorf("list containers: %w", err)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(list))
	for i, c := range list {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if grace > 0 {
				cli.ContainerStop(ctx, c.ID, container.StopOptions{Timeout: &grace})
			}
			err := cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true})
			if !cerrdefs.IsNotFound(err) && !cerrdefs.IsConflict(err) { // gone, or going: a removal under way
				errs[i] = err
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return 0, 0, fmt.Errorf("remove containers: %w", err)
	}
	nets, err := cli.NetworkList(ctx, network.ListOptions{Filters: Filter(env, service)})
	if err != nil {
		return len(list), 0, fmt.Errorf("list networks: %w", err)
	}
	for _, n := range nets {
		// a container whose removal is under way may hold it for a moment still
		err := cli.NetworkRemove(ctx, n.ID)
		for try := 0; err != nil && !cerrdefs.IsNotFound(err) && try < 20 && ctx.Err() == nil; try++ {
			time.Sleep(250 * time.Millisecond)
			err = cli.NetworkRemove(ctx, n.ID)
		}
		if err != nil && !cerrdefs.IsNotFound(err) {
			return len(list), 0, fmt.Errorf("remove network %s: %w", n.Name, err)
		}
	}
	return len(list), len(nets), nil
}

// StreamLogs copies a replica's output to w, each line after prefix (its name, in its
// colour).
func StreamLogs(ctx context.Context, cli *client.Client, id, prefix string, w io.Writer) {
	rc, err := cli.ContainerLogs(ctx, id, container.LogsOptions{ShowStdout: true, ShowStderr: true, Follow: true})
	if err != nil {
		return
	}
	defer rc.Close()
	pw := &prefixWriter{prefix: prefix, w: w}
	stdcopy.StdCopy(pw, pw, rc)
	pw.Flush()
}

type prefixWriter struct {
	prefix string
	w      io.Writer
	buf    bytes.Buffer
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.buf.Write(b)
	for {
		line, err := p.buf.ReadBytes('\n')
		if err != nil {
			p.buf.Write(line) // incomplete: keep for the next write
			return len(b), nil
		}
		p.w.Write(append([]byte(p.prefix), line...))
	}
}

func (p *prefixWriter) Flush() {
	if p.buf.Len() > 0 {
		sc := bufio.NewScanner(&p.buf)
		for sc.Scan() {
			p.w.Write([]byte(p.prefix + sc.Text() + "\n"))
		}
	}
}
