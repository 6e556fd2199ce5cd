package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	ecrpush "github.com/berthdev/berth/internal/registry"
	"github.com/google/go-containerregistry/pkg/registry"
)

// How a documented transcript runs (docs_test.go says what one is): one block's
// session, the commands a block may run, and the berth ups it leaves in the background.

// docSession is one transcript as it runs.
type docSession struct {
	t    *testing.T
	tr   *transcript
	root string // the block's temporary directory; cd stays inside it
	cwd  string
	env  []string
	code int // the last command's exit code
	ups  []*background
	// lastUp is the berth up the last command started, whose exit code an echo $?
	// after it asks for
	lastUp *background
	ports  map[string]string // the port a berth up listens on → the one it is shown as
	curlTo map[string]string // the other way round
}

type background struct {
	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan struct{} // closed when it has exited
	code int           // its exit code, once done
	env  string
}

func (tr *transcript) run(t *testing.T) {
	s := &docSession{t: t, tr: tr, root: t.TempDir(), ports: map[string]string{}, curlTo: map[string]string{}}
	if tr.docker {
		needDocker(t)
	}
	// berth reads no AWS configuration of the machine it runs on: a block says what it needs
	s.env = append(os.Environ(), "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PROFILE=",
		"AWS_REGION=", "AWS_DEFAULT_REGION=", "AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_SESSION_TOKEN=")
	if tr.aws {
		s.env = append(awsEnv(t), "AWS_PROFILE=")
		reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
		t.Cleanup(reg.Close)
		s.env = append(s.env, ecrpush.RegistryEnv+"="+strings.TrimPrefix(reg.URL, "http://"))
		t.Cleanup(func() { s.deleteEnvironments() })
	}
	if tr.dir != "" {
		s.cwd = filepath.Join(s.root, filepath.Base(tr.dir))
		if err := copyDir(tr.dir, s.cwd); err != nil {
			t.Fatal(err)
		}
	} else {
		s.cwd = filepath.Join(s.root, "app")
		os.Mkdir(s.cwd, 0o755)
	}
	t.Cleanup(s.stopUps)
	for _, st := range tr.steps {
		got, bg := s.runLine(st)
		m := newMatcher(st.want)
		if bg != nil {
			got = s.waitFor(bg, m)
			select {
			case <-bg.done:
				s.code = bg.code // it stopped, as a command that fails at once does
			default:
			}
		}
		got = s.shown(withoutSDKLogs(t, got))
		if !m.match(got) && *updateDocs {
			docEdits.add(tr.file, st.line, st.want, tr.indent, m.rewrite(got))
		}
		if !m.match(got) {
			t.Errorf("%s:%d: $ %s\nthe documented output (-) and what berth printed (+) differ:\n%s",
				strings.TrimPrefix(tr.file, "../../"), st.line, st.cmd, m.diff(got))
		}
	}
}

// sdkLog is a line the AWS SDK logs itself, such as smithy-go's "failed to discard
// remaining HTTP response body, this may affect connection reuse", which comes when
// the emulator closes a connection before the SDK has read it out: at random, and not
// berth's to print. The transcripts leave such lines out, and the test log shows them.
var sdkLog = regexp.MustCompile(`(?m)^SDK \d{4}/\d\d/\d\d \d\d:\d\d:\d\d (WARN|DEBUG) .*\n?`)

func withoutSDKLogs(t *testing.T, out string) string {
	for _, l := range sdkLog.FindAllString(out, -1) {
		t.Logf("the AWS SDK logged, left out of the comparison: %s", strings.TrimSpace(l))
	}
	return sdkLog.ReplaceAllString(out, "")
}

// shown is output as the documentation shows it: the ports of berth up as the user's.
func (s *docSession) shown(out string) string {
	for real, shown := range s.ports {
		out = strings.ReplaceAll(out, real, shown)
	}
	return out
}

// runLine runs one "$" line; a berth up is returned running.
func (s *docSession) runLine(st step) (string, *background) {
	var out strings.Builder
	for _, cmd := range splitCommands(words(st.cmd)) {
		text, bg := s.runCommand(cmd)
		out.WriteString(text)
		if bg != nil {
			return out.String(), bg
		}
		if s.code != 0 {
			break
		}
	}
	return out.String(), nil
}

func (s *docSession) runCommand(args []string) (string, *background) {
	t := s.t
	env := slices.Clone(s.env)
	for len(args) > 0 && regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`).MatchString(args[0]) {
		env = append(env, args[0])
		args = args[1:]
	}
	if len(args) == 0 {
		t.Fatal("an empty command")
	}
	if len(args) == 2 && args[0] == "echo" && args[1] == "$?" {
		code := s.code // the previous command's
		if bg := s.lastUp; bg != nil {
			// a berth up the block expects to have ended: its output can match before
			// its exit is seen, on a loaded machine (it printed its error, then exits)
			select {
			case <-bg.done:
				code = bg.code
			case <-time.After(time.Minute):
			}
		}
		s.code, s.lastUp = 0, nil
		return fmt.Sprintf("%d\n", code), nil
	}
	s.code, s.lastUp = 0, nil
	switch args[0] {
	case "berth":
		if len(args) > 1 && args[1] == "up" {
			return "", s.startUp(args[1:], env)
		}
		return s.exec(env, bin, args[1:]...), nil
	case "gcc":
		if why := staticGCC(); why != "" {
			t.Skip(why)
		}
		return s.exec(env, "gcc", args[1:]...), nil
	case "cd":
		dir := filepath.Join(s.cwd, args[1])
		if rel, err := filepath.Rel(s.root, dir); err != nil || strings.HasPrefix(rel, "..") {
			t.Fatalf("cd %s leaves the block's directory", args[1])
		}
		s.cwd = dir
		return "", nil
	case "cat":
		var b strings.Builder
		for _, f := range args[1:] {
			data, err := os.ReadFile(filepath.Join(s.cwd, f))
			if err != nil {
				s.code = 1
				return fmt.Sprintf("cat: %s: No such file or directory\n", f), nil
			}
			b.Write(data)
		}
		return b.String(), nil
	case "sed":
		return s.sed(args[1:]), nil
	case "chmod":
		if len(args) != 3 {
			t.Fatalf("chmod: only chmod MODE FILE, not %q", strings.Join(args, " "))
		}
		mode, err := strconv.ParseUint(args[1], 8, 32)
		if err != nil {
			t.Fatalf("chmod: only chmod MODE FILE, not %q", strings.Join(args, " "))
		}
		if err := os.Chmod(filepath.Join(s.cwd, args[2]), fs.FileMode(mode)); err != nil {
			t.Fatal(err)
		}
		return "", nil
	case "curl":
		return s.curl(args[1:]), nil
	}
	t.Fatalf("a transcript may run berth, cd, cat, sed -i, chmod, curl, gcc and echo $?, not %q", args[0])
	return "", nil
}

func (s *docSession) exec(env []string, name string, args ...string) string {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = s.cwd, env
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out // one stream, in the order it was written
	err := cmd.Run()
	if ctx.Err() != nil {
		s.t.Fatalf("%s %s did not finish within %s:\n%s", name, strings.Join(args, " "), commandTimeout, out.String())
	}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		s.code = ee.ExitCode()
	case err != nil:
		s.t.Fatal(err)
	}
	return out.String()
}

// startUp starts berth up in the background, on a free port unless the line names one.
func (s *docSession) startUp(args, env []string) *background {
	if flagValue(args, "--listen") == "" {
		running := 0 // a berth up that runs holds 8080: the next one takes 8081
		for _, bg := range s.ups {
			select {
			case <-bg.done:
			default:
				running++
			}
		}
		real := fmt.Sprintf("127.0.0.1:%d", freePort(s.t))
		shown := fmt.Sprintf("127.0.0.1:%d", 8080+running)
		s.ports[real], s.curlTo[shown] = shown, real
		args = append(args, "--listen", real)
	}
	bg := &background{out: &lockedBuffer{}, done: make(chan struct{}), env: cmp.Or(flagValue(args, "--env"), "dev")}
	bg.cmd = exec.Command(bin, args...)
	bg.cmd.Dir, bg.cmd.Env = s.cwd, env
	bg.cmd.Stdout, bg.cmd.Stderr = bg.out, bg.out
	if err := bg.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	go func() {
		bg.cmd.Wait()
		bg.code = bg.cmd.ProcessState.ExitCode()
		close(bg.done)
	}()
	s.ups = append(s.ups, bg)
	s.lastUp = bg
	return bg
}

// waitFor waits until a berth up has printed what the block expects, has exited, has
// printed the block's last line without matching it (then 3 s more, for the lines that
// go with it), or 3 minutes passed (the first build of a Go app on a clean machine), and
// returns its output so far.
func (s *docSession) waitFor(bg *background, m *matcher) string {
	deadline := time.Now().Add(3 * time.Minute)
	var reached time.Time // when the block's last line was printed without a match
	for {
		out := bg.out.String()
		shown := s.shown(out)
		if m.match(shown) || time.Now().After(deadline) {
			return out
		}
		if reached.IsZero() && m.reached(shown) {
			reached = time.Now()
		}
		if !reached.IsZero() && time.Since(reached) > 3*time.Second {
			return out // got as far as the block without matching it: the diff says how
		}
		select {
		case <-bg.done:
			return bg.out.String()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// stopUps stops the berth ups a block left running, as Ctrl-C does, and removes what
// they leave.
func (s *docSession) stopUps() {
	for _, bg := range s.ups {
		bg.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-bg.done:
		case <-time.After(40 * time.Second):
			bg.cmd.Process.Kill()
			<-bg.done
		}
		exec.Command(bin, "down", "--env", bg.env).Run()
	}
}

// deleteEnvironments removes the AWS environments a block made, from the emulator the
// package's tests share.
func (s *docSession) deleteEnvironments() {
	for env, region := range s.tr.environments() {
		args := []string{"delete", "--environment", "--force", "--yes", "--env", env}
		if region != "" {
			args = append(args, "--region", region)
		}
		cmd := exec.Command(bin, args...)
		cmd.Dir, cmd.Env = s.root, s.env
		if out, err := cmd.CombinedOutput(); err != nil {
			s.t.Logf("removing the environment %s after the block: %v\n%s", env, err, out)
		}
	}
}

// sed runs sed -i 's/OLD/NEW/[g]' FILE: OLD a regular expression (Go's), the first
// match of each line replaced, or every one with g.
func (s *docSession) sed(args []string) string {
	if len(args) != 3 || args[0] != "-i" || len(args[1]) < 4 || args[1][0] != 's' {
		s.t.Fatalf("sed: only sed -i 's/OLD/NEW/' FILE, not sed %s", strings.Join(args, " "))
	}
	parts := strings.Split(args[1][2:], args[1][1:2])
	if len(parts) != 3 || (parts[2] != "" && parts[2] != "g") {
		s.t.Fatalf("sed: %q is not s/OLD/NEW/ or s/OLD/NEW/g", args[1])
	}
	re := regexp.MustCompile(parts[0])
	path := filepath.Join(s.cwd, args[2])
	data, err := os.ReadFile(path)
	if err != nil {
		s.code = 2
		return fmt.Sprintf("sed: can't read %s: No such file or directory\n", args[2])
	}
	ls := strings.Split(string(data), "\n")
	for i, l := range ls {
		if parts[2] == "g" {
			ls[i] = re.ReplaceAllLiteralString(l, parts[1])
		} else if loc := re.FindStringIndex(l); loc != nil {
			ls[i] = l[:loc[0]] + parts[1] + l[loc[1]:]
		}
	}
	if err := os.WriteFile(path, []byte(strings.Join(ls, "\n")), 0o644); err != nil {
		s.t.Fatal(err)
	}
	return ""
}

// curl GETs a loopback URL and prints the body, as curl -s does; a berth up's shown port
// is the one it listens on.
func (s *docSession) curl(args []string) string {
	var target string
	for _, a := range args {
		switch {
		case a == "-s" || a == "--silent":
		case strings.HasPrefix(a, "-"):
			s.t.Fatalf("curl: only curl [-s] URL, not %s", a)
		default:
			target = a
		}
	}
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "http" {
		s.t.Fatalf("curl: %q is not an http:// URL", target)
	}
	if real, ok := s.curlTo[u.Host]; ok {
		u.Host = real
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		s.t.Fatalf("curl: %s is not a loopback address: the tests send traffic to loopback only", u.Host)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(u.String())
	if err != nil {
		s.code = 7
		return fmt.Sprintf("curl: (7) Failed to connect to %s: %v\n", target, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}

// copyDir copies the regular files under src to dst, with their modes.
func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		info, err := d.Info()
		if err != nil || !info.Mode().IsRegular() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, info.Mode().Perm())
	})
}

// staticGCC says why gcc cannot build the transcripts' C app here ("" when it can): a
// Linux binary linked statically, to run in an image without a base.
var staticGCC = sync.OnceValue(func() string {
	if runtime.GOOS != "linux" {
		return "the C app of the transcripts is a Linux binary built on the host: gcc builds it on Linux only"
	}
	dir, err := os.MkdirTemp("", "berth-gcc")
	if err != nil {
		return err.Error()
	}
	defer os.RemoveAll(dir)
	cmd := exec.Command("gcc", "-static", "-x", "c", "-o", filepath.Join(dir, "probe"), "-")
	cmd.Stdin = strings.NewReader("int main(void) { return 0; }\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Sprintf("gcc cannot link a static binary here (%v: %s): install gcc and libc6-dev, as .ci/run does", err, strings.TrimSpace(string(out)))
	}
	return ""
})
