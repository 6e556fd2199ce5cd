package main

import (
	"bufio"
	"cmp"
	"errors"
	"flag"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
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
