// Package localexec is berth exec --local: a command in a running replica of berth up,
// as docker exec runs it, on the terminal it was called from.
//
// It is the local twin of ecsexec: it imports docker and hint, nothing of the AWS path.
package localexec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/berthdev/berth/internal/docker"
	"github.com/berthdev/berth/internal/hint"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"
	"golang.org/x/term"
)

// ExecOptions are one "berth exec --local": what to run in which replica, and the
// terminal to run it on.
type ExecOptions struct {
	Env, Service string
	// Replica is a replica's name or a prefix of its container id; empty: the first.
	Replica string
	// Command is what to run; empty: Shell.
	Command []string
	// In, Out and Err are the command's; when In and Out are a terminal, the command
	// gets a TTY of its size, and the terminal is raw while it runs.
	In       io.Reader
	Out, Err io.Writer
}

// ExitError is a command that ran and exited with a code other than 0.
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("the command exited with code %d", e.Code) }

// ExitStatus is the command's exit code, which berth exits with.
func (e *ExitError) ExitStatus() int { return e.Code }

// ExecIn connects to the Docker engine and runs Exec: a command that exits with a
// code other than 0 is an *ExitError.
func ExecIn(ctx context.Context, o ExecOptions) error {
	cli, err := docker.Connect(ctx)
	if err != nil {
		return err
	}
	defer cli.Close()
	code, err := Exec(ctx, cli, o)
	if err == nil && code != 0 {
		return &ExitError{code}
	}
	return err
}

// terminalOf is the terminal o runs on, if its input and output are one.
func terminalOf(o ExecOptions) *os.File {
	in, ok := o.In.(*os.File)
	out, ok2 := o.Out.(*os.File)
	if ok && ok2 && term.IsTerminal(int(in.Fd())) && term.IsTerminal(int(out.Fd())) {
		return in
	}
	return nil
}

// Shell is what berth exec runs when no command is given.
const Shell = "/bin/sh"

// Exec runs the command in a replica of the service, as docker exec does, and returns
// its exit code. A program the image does not have (a shell, in the images berth
// builds from Go, which hold the app alone) is refused before anything runs, with
// what the image does have.
func Exec(ctx context.Context, cli *client.Client, o ExecOptions) (int, error) {
	rep, err := pickReplica(ctx, cli, o)
	if err != nil {
		return 0, err
	}
	cmd := o.Command
	if len(cmd) == 0 {
		cmd = []string{Shell}
	}
	info, err := cli.ContainerInspect(ctx, rep.ID)
	if err != nil {
		return 0, fmt.Errorf("inspect replica %s: %w", rep.Labels[docker.LabelReplica], err)
	}
	if err := hasProgram(ctx, cli, info, cmd[0]); err != nil {
		return 0, err
	}
	terminal := terminalOf(o)
	tty := terminal != nil
	ec := container.ExecOptions{Cmd: cmd, Tty: tty, AttachStdin: true, AttachStdout: true, AttachStderr: true}
	if tty {
		if w, h, err := term.GetSize(int(terminal.Fd())); err == nil {
			ec.ConsoleSize = &[2]uint{uint(h), uint(w)}
		}
	}
	created, err := cli.ContainerExecCreate(ctx, rep.ID, ec)
	if err != nil {
		return 0, fmt.Errorf("exec in replica %s: %w", rep.Labels[docker.LabelReplica], err)
	}
	conn, err := cli.ContainerExecAttach(ctx, created.ID, container.ExecAttachOptions{Tty: tty, ConsoleSize: ec.ConsoleSize})
	if err != nil {
		return 0, fmt.Errorf("exec in replica %s: %w", rep.Labels[docker.LabelReplica], err)
	}
	defer conn.Close()
	if tty {
		if state, err := term.MakeRaw(int(terminal.Fd())); err == nil {
			defer term.Restore(int(terminal.Fd()), state)
		}
	}
	go func() {
		if o.In != nil {
			io.Copy(conn.Conn, o.In)
		}
		conn.CloseWrite()
	}()
	if tty {
		_, err = io.Copy(o.Out, conn.Reader)
	} else {
		_, err = stdcopy.StdCopy(o.Out, o.Err, conn.Reader)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, fmt.Errorf("exec in replica %s: %w", rep.Labels[docker.LabelReplica], err)
	}
	done, err := cli.ContainerExecInspect(ctx, created.ID)
	if err != nil {
		return 0, fmt.Errorf("exec in replica %s: %w", rep.Labels[docker.LabelReplica], err)
	}
	return done.ExitCode, nil
}

// pickReplica is the replica --task names, else the first by name.
func pickReplica(ctx context.Context, cli *client.Client, o ExecOptions) (container.Summary, error) {
	list, err := cli.ContainerList(ctx, container.ListOptions{Filters: docker.Filter(o.Env, o.Service)})
	if err != nil {
		return container.Summary{}, fmt.Errorf("list containers: %w", err)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Labels[docker.LabelReplica] < list[j].Labels[docker.LabelReplica] })
	if len(list) == 0 {
		return container.Summary{}, hint.Wrap(fmt.Errorf("no replica of %s runs locally in environment %s", o.Service, o.Env),
			"start it with \"berth up --env "+o.Env+"\", then run berth exec --local from another shell")
	}
	var names []string
	for _, c := range list {
		name := c.Labels[docker.LabelReplica]
		if o.Replica == "" || o.Replica == name || strings.HasPrefix(c.ID, o.Replica) {
			return c, nil
		}
		names = append(names, name)
	}
	return container.Summary{}, hint.Wrap(fmt.Errorf("%s is not a replica of %s in environment %s", o.Replica, o.Service, o.Env),
		"running: "+strings.Join(names, ", ")+" (--task takes a replica's name or container id; berth status --local lists them)")
}

// hasProgram checks that the replica's file system has the program: an absolute path
// as it is, a name in the directories of the image's PATH.
func hasProgram(ctx context.Context, cli *client.Client, info container.InspectResponse, program string) error {
	candidates := []string{program}
	if !strings.Contains(program, "/") {
		candidates = nil
		for _, dir := range strings.Split(envOf(info.Config.Env, "PATH"), ":") {
			if dir != "" {
				candidates = append(candidates, path.Join(dir, program))
			}
		}
	}
	for _, p := range candidates {
		if st, err := cli.ContainerStatPath(ctx, info.ID, p); err == nil && !st.Mode.IsDir() {
			return nil
		}
	}
	return &NoProgramError{Program: program, Container: strings.TrimPrefix(info.Name, "/"), Entrypoint: append(info.Config.Entrypoint, info.Config.Cmd...)}
}

func envOf(env []string, key string) string {
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// NoProgramError says that the image has no such program, and what to run instead.
type NoProgramError struct {
	Program, Container string
	Entrypoint         []string
}

func (e *NoProgramError) Error() string {
	if e.Program == Shell {
		return fmt.Sprintf("the replica's image has no shell (%s): images berth builds from Go hold the app alone, which is why they are small and have nothing to attack", Shell)
	}
	return fmt.Sprintf("the replica's image has no program %s", e.Program)
}

// Hint says what the image can run, and how to look at its files without a shell.
func (e *NoProgramError) Hint() string {
	h := "look at its files with \"docker cp " + e.Container + ":/PATH .\""
	if len(e.Entrypoint) > 0 {
		h = "run a program it has, such as the app itself: berth exec --local -- " + strings.Join(e.Entrypoint, " ") + " ...; or " + h
	}
	return h
}
