package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"flag"
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

// Every ```console block of README.md and docs/*.md is a transcript: its "$ berth …"
// lines run with the real binary, and what each prints must be the lines that follow
// it, up to the next "$" line (docsmatch_test.go says how lines compare). A block says
// what it needs in an HTML comment on the line before it:
//
//	<!-- transcript: dir=testdata/docs/hello docker aws -->
//	<!-- transcript: not run: the output of a real AWS account -->
//
//	dir=PATH  run in a copy of PATH (relative to cmd/berth), a directory of the same
//	          name in a new temporary directory; else in an empty directory "app"
//	aws       against the package's shared AWS emulator (awsEnv), image pushes to a
//	          registry of the block's own (BERTH_ECR_REGISTRY)
//	docker    needs the Docker engine; skipped without one, as the local e2e tests are
//	not run:  the block is not run, for the reason given; the test counts them
//	continued the block goes on with the transcript of the file's block before it, in
//	          the same directory and with the same berth up running (prose between
//	          the steps of one walk-through)
//
// Besides berth, a transcript may run: cd DIR (inside the block's directory), cat
// FILE, sed -i 's/OLD/NEW/' FILE, chmod MODE FILE, curl URL (loopback only), gcc ARGS,
// echo $? (the last exit code), NAME=value before a command, and && between commands. "berth up"
// runs in the background until the block ends: its output is compared once it has
// printed what the block expects (or has exited, or 3 minutes passed), and it listens
// on a free port that its output and curl's URLs show as 127.0.0.1:8080 (8081 while
// another one runs, ...), the port a user's berth up takes. Every environment a block names
// (--env, else dev) must be its own: the emulator and the Docker engine are shared by
// the package's tests, which run in parallel. A block's AWS environments are deleted
// after it.

// -update-docs writes what berth prints now into the blocks that drifted (matching lines
// and "…" kept): review the diff, and put "…" where a run's own values show (a random
// name, an address).
var updateDocs = flag.Bool("update-docs", false, "rewrite the documented output that drifted with what berth prints")

// docEdits are the rewrites -update-docs makes, by file.
var docEdits edits

type edits struct {
	sync.Mutex
	list []edit
}

type edit struct {
	file            string
	line, n, indent int // the "$ " line, how many expected lines follow it, their indent
	lines           []string
}

func (e *edits) add(file string, line int, want []string, indent int, lines []string) {
	for i := len(want) - 1; i >= 0 && strings.TrimSpace(want[i]) == ""; i-- {
		lines = append(lines, "") // the blank lines before the next "$ " stay
	}
	e.Lock()
	defer e.Unlock()
	e.list = append(e.list, edit{file, line, len(want), indent, lines})
}

// apply makes the edits, the last lines of a file first so that line numbers hold.
func (e *edits) apply(t *testing.T) {
	e.Lock()
	defer e.Unlock()
	slices.SortFunc(e.list, func(a, b edit) int { return cmp.Or(strings.Compare(a.file, b.file), b.line-a.line) })
	for _, ed := range e.list {
		b, err := os.ReadFile(ed.file)
		if err != nil {
			t.Fatal(err)
		}
		ls := strings.Split(string(b), "\n")
		var repl []string
		for _, l := range ed.lines {
			if l != "" {
				l = strings.Repeat(" ", ed.indent) + l
			}
			repl = append(repl, l)
		}
		ls = slices.Replace(ls, ed.line, ed.line+ed.n, repl...) // ls[line] is the line after "$ "
		if err := os.WriteFile(ed.file, []byte(strings.Join(ls, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("-update-docs: rewrote the output of %s:%d", ed.file, ed.line)
	}
}

type transcript struct {
	file   string
	line   int
	indent int // of its fence: a block inside a list item
	dir    string
	aws    bool
	docker bool
	notRun string
	steps  []step
	// continues is the block this one goes on with, while it is read
	continues *transcript
}

type step struct {
	line int
	cmd  string
	want []string
}

func (tr *transcript) name() string {
	return fmt.Sprintf("%s:%d", strings.TrimPrefix(tr.file, "../../"), tr.line)
}

var directive = regexp.MustCompile(`^<!--\s*transcript:\s*(.*?)\s*-->$`)

// parseTranscripts reads the console blocks of a Markdown file.
func parseTranscripts(path string) ([]*transcript, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []*transcript
	var cur *transcript
	prev, fence := "", false
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case !fence && strings.HasPrefix(trimmed, "```"):
			fence = true
			if trimmed == "```console" {
				cur = &transcript{file: path, line: n, indent: len(line) - len(strings.TrimLeft(line, " "))}
				if m := directive.FindStringSubmatch(prev); m != nil && m[1] == "continued" {
					if len(out) == 0 {
						return nil, fmt.Errorf("%s:%d: continued, but no block before it", path, n-1)
					}
					cur.continues = out[len(out)-1]
				} else if m != nil {
					if err := cur.options(m[1]); err != nil {
						return nil, fmt.Errorf("%s:%d: %v", path, n-1, err)
					}
				}
			}
		case fence && trimmed == "```":
			fence = false
			if cur != nil {
				if len(cur.steps) == 0 {
					return nil, fmt.Errorf("%s:%d: a console block without a \"$ \" line", path, cur.line)
				}
				if prevBlock := cur.continues; prevBlock != nil {
					prevBlock.steps = append(prevBlock.steps, cur.steps...)
				} else {
					out = append(out, cur)
				}
				cur = nil
			}
		case cur != nil:
			// in a list item, the block's lines carry the item's indent
			for i := 0; i < cur.indent && strings.HasPrefix(line, " "); i++ {
				line = line[1:]
			}
			if cmd, ok := strings.CutPrefix(line, "$ "); ok {
				cur.steps = append(cur.steps, step{line: n, cmd: cmd})
			} else if len(cur.steps) == 0 {
				return nil, fmt.Errorf("%s:%d: output before the first \"$ \" line", path, n)
			} else {
				s := &cur.steps[len(cur.steps)-1]
				s.want = append(s.want, line)
			}
		}
		if trimmed != "" {
			prev = trimmed
		}
	}
	return out, sc.Err()
}

func (tr *transcript) options(s string) error {
	if reason, ok := strings.CutPrefix(s, "not run:"); ok {
		if tr.notRun = strings.TrimSpace(reason); tr.notRun == "" {
			return errors.New("not run: without a reason")
		}
		return nil
	}
	for _, o := range strings.Fields(s) {
		switch {
		case o == "aws":
			tr.aws = true
		case o == "docker":
			tr.docker = true
		case strings.HasPrefix(o, "dir="):
			tr.dir = strings.TrimPrefix(o, "dir=")
		default:
			return fmt.Errorf("transcript: unknown option %q (dir=PATH, aws, docker, or not run: REASON)", o)
		}
	}
	return nil
}

// envCommands name an environment, the default one (dev) unless --env says.
var envCommands = []string{"deploy", "diff", "status", "verify", "logs", "delete", "rollback", "exec", "up", "down", "reload"}

// environments are the environments a block's berth commands name, with the regions
// given to them.
func (tr *transcript) environments() map[string]string {
	envs := map[string]string{}
	for _, s := range tr.steps {
		for _, cmd := range splitCommands(words(s.cmd)) {
			cmd = withoutAssignments(cmd)
			if len(cmd) < 2 || cmd[0] != "berth" {
				continue
			}
			named := slices.Contains(envCommands, cmd[1]) || len(cmd) > 2 && cmd[1] == "ci" && cmd[2] == "role"
			if !named {
				continue
			}
			env, region := flagValue(cmd, "--env"), flagValue(cmd, "--region")
			if env == "" {
				env = "dev"
			}
			if envs[env] == "" {
				envs[env] = region
			}
		}
	}
	return envs
}

func flagValue(args []string, name string) string {
	for i, a := range args {
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
	}
	return ""
}

func TestDocumentedTranscripts(t *testing.T) {
	t.Cleanup(func() { docEdits.apply(t) }) // after every block has run
	var all []*transcript
	for _, file := range docFiles(t) {
		trs, err := parseTranscripts(file)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, trs...)
	}
	owner := map[string]string{}
	var notRun []string
	for _, tr := range all {
		if tr.notRun != "" {
			notRun = append(notRun, tr.name()+" ("+tr.notRun+")")
			continue
		}
		for env := range tr.environments() {
			if other, ok := owner[env]; ok {
				t.Errorf("%s and %s both use the environment %s: give each block its own (--env)", other, tr.name(), env)
			}
			owner[env] = tr.name()
		}
	}
	if len(all) == 0 {
		t.Fatal("no console block found")
	}
	t.Logf("%d transcript(s): %d run, %d not run", len(all), len(all)-len(notRun), len(notRun))
	for _, n := range notRun {
		t.Logf("not run: %s", n)
	}
	for _, tr := range all {
		if tr.notRun != "" {
			continue
		}
		t.Run(tr.name(), func(t *testing.T) {
			t.Parallel()
			tr.run(t)
		})
	}
}

// docSession is one transcript as it runs.
type docSession struct {
	t      *testing.T
	tr     *transcript
	root   string // the block's temporary directory; cd stays inside it
	cwd    string
	env    []string
	code   int // the last command's exit code
	ups    []*background
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
		s.code = 0
		return fmt.Sprintf("%d\n", code), nil
	}
	s.code = 0
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

// words splits a command line as a shell would, quotes and a trailing # comment
// included; nothing is expanded.
func words(line string) []string {
	var out []string
	var cur strings.Builder
	inWord, quote := false, rune(0)
	runes := []rune(line)
	for i := 0; i < len(runes); i++ {
		r := runes[i]
		switch {
		case quote == '\'':
			if r == '\'' {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case quote == '"':
			switch {
			case r == '"':
				quote = 0
			case r == '\\' && i+1 < len(runes) && strings.ContainsRune(`"\$`, runes[i+1]):
				i++
				cur.WriteRune(runes[i])
			default:
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		case r == '#' && !inWord:
			i = len(runes)
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out
}

// splitCommands splits words at "&&".
func splitCommands(ws []string) [][]string {
	var out [][]string
	cur := []string{}
	for _, w := range ws {
		if w == "&&" {
			out = append(out, cur)
			cur = []string{}
			continue
		}
		cur = append(cur, w)
	}
	return append(out, cur)
}

// withoutAssignments drops the NAME=value words before a command.
func withoutAssignments(cmd []string) []string {
	for len(cmd) > 0 && strings.Contains(cmd[0], "=") && !strings.HasPrefix(cmd[0], "-") {
		cmd = cmd[1:]
	}
	return cmd
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

func TestTranscriptCommandLines(t *testing.T) {
	for line, want := range map[string]string{
		`berth deploy --env demo --yes`:                            "berth|deploy|--env|demo|--yes",
		`berth exec --local -- /app/api --version  # in a replica`: "berth|exec|--local|--|/app/api|--version",
		`sed -i 's/count: 3/count: 4/' berth.yml && berth diff`:    "sed|-i|s/count: 3/count: 4/|berth.yml|&&|berth|diff",
		`API_KEY="a \"b\"" berth up`:                               `API_KEY=a "b"|berth|up`,
		`curl http://127.0.0.1:8080/#top`:                          "curl|http://127.0.0.1:8080/#top",
	} {
		if got := strings.Join(words(line), "|"); got != want {
			t.Errorf("words(%q) = %q, want %q", line, got, want)
		}
	}
	tr := &transcript{steps: []step{{cmd: "berth deploy --env a --yes"}, {cmd: "berth status && berth up --env b"},
		{cmd: "berth cost"}, {cmd: "berth ci role --github o/r --env c --region eu-west-1"}}}
	if got := fmt.Sprint(tr.environments()); got != "map[a: b: c:eu-west-1 dev:]" {
		t.Errorf("environments: %s", got)
	}
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
