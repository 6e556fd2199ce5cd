package secrets

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/berthdev/berth/internal/lazyregexp"
)

// File is where berth up reads the values of the manifest's secrets, next to the
// manifest. It is never part of a build context (image.Context leaves it out, whatever
// .dockerignore says), and berth never prints what it holds.
const File = "berth.secrets.env"

// MaxFileSize bounds the secrets file: values are passwords and keys, not data.
const MaxFileSize = 1 << 20

// Values are the secrets of one manifest as berth up found them.
type Values struct {
	Vars map[string]string // by name; never printed
	From map[string]string // by name: "the environment" or the file's name
	// Warnings are what the developer should know, without any value in them.
	Warnings []string
}

// FromEnvironment is what Values.From says of a value found in the environment.
const FromEnvironment = "the environment"

// MissingError names the secrets berth up found no value for.
type MissingError struct {
	Names []string
	File  string // the path berth looked at
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("no value for %s: berth up takes secrets from the environment or from %s", strings.Join(e.Names, ", "), e.File)
}

// Hint says how to give them.
func (e *MissingError) Hint() string {
	return fmt.Sprintf("add %s=... to %s (dotenv lines, kept out of version control), or export %s", e.Names[0], e.File, e.Names[0])
}

// Local finds the value of each name: in the environment first (lookup, os.LookupEnv
// in berth), then in dir's secrets file, the way docker compose prefers the shell to
// its .env file. Every missing name is reported at once.
func Local(dir string, names []string, lookup func(string) (string, bool)) (Values, error) {
	path := filepath.Join(dir, File)
	v := Values{Vars: map[string]string{}, From: map[string]string{}}
	file, err := readFile(path)
	if err != nil {
		return v, err
	}
	if file != nil && file.loose {
		v.Warnings = append(v.Warnings, fmt.Sprintf("%s can be read by other users of this machine (mode %04o): chmod 600 %s", path, file.mode, path))
	}
	var missing []string
	wanted := map[string]bool{}
	for _, n := range names {
		wanted[n] = true
		if val, ok := lookup(n); ok {
			v.Vars[n], v.From[n] = val, FromEnvironment
			continue
		}
		if file != nil {
			if val, ok := file.vars[n]; ok {
				v.Vars[n], v.From[n] = val, File
				continue
			}
		}
		missing = append(missing, n)
	}
	if file != nil {
		var unknown []string
		for n := range file.vars {
			if !wanted[n] {
				unknown = append(unknown, n)
			}
		}
		sort.Strings(unknown)
		if len(unknown) > 0 {
			v.Warnings = append(v.Warnings, fmt.Sprintf("%s sets %s, which the manifest's secrets do not name", File, strings.Join(unknown, ", ")))
		}
	}
	if len(missing) > 0 {
		return v, &MissingError{Names: missing, File: path}
	}
	return v, nil
}

type dotenv struct {
	vars  map[string]string
	mode  fs.FileMode
	loose bool // readable by group or others
}

// readFile reads the secrets file; nil when there is none.
func readFile(path string) (*dotenv, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s is a directory; berth up reads secrets from a file of NAME=value lines there", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s is larger than %d KiB", path, MaxFileSize>>10)
	}
	vars, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s:%w", path, err)
	}
	d := &dotenv{vars: vars, mode: st.Mode().Perm()}
	d.loose = runtime.GOOS != "windows" && d.mode&0o077 != 0
	return d, nil
}

var varName = lazyregexp.New(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ParseError is a line of a dotenv file that is not NAME=value. Its message never
// quotes the line: the line may hold a secret.
type ParseError struct {
	Line int
	Msg  string
}

func (e *ParseError) Error() string { return fmt.Sprintf("%d: %s", e.Line, e.Msg) }

// Parse reads dotenv text: NAME=value lines, optionally "export NAME=value"; blank
// lines and lines starting with # are skipped. A value is taken as written, without
// variable expansion: unquoted it ends at the end of the line or at " #" and loses its
// surrounding spaces; in single quotes it is literal; in double quotes \n, \r, \t, \",
// \\ and \$ are escapes. Quoted values may span lines (a PEM key, say).
func Parse(data []byte) (map[string]string, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	vars := map[string]string{}
	line := 1
	for len(text) > 0 {
		start := line
		var raw string
		raw, text = cutLine(text)
		line++
		s := strings.TrimLeft(raw, " \t")
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		if rest, ok := strings.CutPrefix(s, "export "); ok {
			s = strings.TrimLeft(rest, " \t")
		}
		name, value, ok := strings.Cut(s, "=")
		name = strings.TrimRight(name, " \t")
		if !ok || !varName.MatchString(name) {
			return nil, &ParseError{start, "not a NAME=value line (names are letters, digits and _, not starting with a digit)"}
		}
		if _, dup := vars[name]; dup {
			return nil, &ParseError{start, name + " is set twice"}
		}
		value = strings.TrimLeft(value, " \t")
		var err error
		switch {
		case strings.HasPrefix(value, `"`) || strings.HasPrefix(value, "'"):
			var consumed int
			value, text, consumed, err = quoted(value, text)
			line += consumed
			if err != nil {
				return nil, &ParseError{start, err.Error()}
			}
		default:
			if i := strings.Index(value, " #"); i >= 0 {
				value = value[:i]
			} else if i := strings.Index(value, "\t#"); i >= 0 {
				value = value[:i]
			}
			value = strings.TrimRight(value, " \t")
		}
		vars[name] = value
	}
	return vars, nil
}

func cutLine(text string) (string, string) {
	if i := strings.IndexByte(text, '\n'); i >= 0 {
		return text[:i], text[i+1:]
	}
	return text, ""
}

// quoted reads a quoted value that starts value (the rest of its line) and may go on
// over the lines of rest. It returns the value, what follows it, and how many more
// lines it took.
func quoted(value, rest string) (string, string, int, error) {
	q := value[0]
	s := value[1:] + "\n" + rest
	var b strings.Builder
	lines := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == q:
			after, remaining := cutLine(s[i+1:])
			if t := strings.TrimLeft(after, " \t"); t != "" && !strings.HasPrefix(t, "#") {
				return "", "", 0, errors.New("text after the closing quote")
			}
			return b.String(), remaining, lines, nil
		case c == '\\' && q == '"' && i+1 < len(s):
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case '"', '\\', '$':
				b.WriteByte(s[i])
			default:
				b.WriteByte('\\')
				b.WriteByte(s[i])
			}
		default:
			if c == '\n' {
				lines++
			}
			b.WriteByte(c)
		}
	}
	return "", "", 0, fmt.Errorf("the quote %c is never closed", q)
}
