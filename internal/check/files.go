package check

import (
	"fmt"
	"io"
	"os"

	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/hint"
)

// Input is one template to check: its name (a path, or the file berth synth writes)
// and its text.
type Input struct {
	Name string
	Data []byte
}

// ReadFiles reads the templates at paths.
func ReadFiles(paths []string) ([]Input, error) {
	var out []Input
	for _, p := range paths {
		data, err := readTemplate(p)
		if err != nil {
			return nil, err
		}
		out = append(out, Input{p, data})
	}
	return out, nil
}

// readTemplate reads at most one byte past cfn.MaxTemplateSize, which cfn.Parse then
// refuses: a template named /dev/zero fails instead of filling the memory.
func readTemplate(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read template: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, cfn.MaxTemplateSize+1))
	if err != nil {
		return nil, fmt.Errorf("read template %s: %w", path, err)
	}
	return data, nil
}

// Run evaluates every rule on every input; the failures of the rules in ignore are
// listed as ignored (an unknown rule there is a usage error).
func Run(inputs []Input, ignore []string) ([]Result, error) {
	var results []Result
	for _, in := range inputs {
		r, err := Template(in.Name, in.Data)
		if err != nil {
			return nil, err
		}
		results = append(results, r...)
	}
	if err := Ignore(results, ignore); err != nil {
		return nil, hint.Usage(fmt.Errorf("--ignore: %w", err))
	}
	return results, nil
}
