package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"text/tabwriter"

	"github.com/berthdev/berth/internal/cfn"
	"github.com/berthdev/berth/internal/check"
	"github.com/berthdev/berth/internal/synth"
	"github.com/spf13/cobra"
)

type checkOptions struct {
	file   string
	output string
	ignore []string
}

func newCheck() *cobra.Command {
	o := &checkOptions{}
	c := &cobra.Command{
		Use:   "check [TEMPLATE...]",
		Short: "Check templates against the rules that keep this architecture safe",
		Long: `check evaluates named rules on CloudFormation templates (YAML or JSON): tasks without
public IP, task ingress only from the load balancer on the container port, load balancer
open only on listener ports, IMDSv2, encrypted volumes, log retention, scoped task-role
trust, deployment circuit breaker, HTTPS only, no credentials in a task's plain
environment. With no argument it checks what "berth synth" would write for the
manifest. It exits 1 when any rule fails, except the rules named with --ignore, whose
failures are listed as ignored.`,
		Example: "  berth check\n  berth check my-stack.yml other.json\n  berth check --ignore BERTH009   # plain HTTP, knowingly (no domain yet)",
		RunE: func(c *cobra.Command, args []string) error {
			if err := validOutput(o.output); err != nil {
				return err
			}
			inputs, err := o.templates(args)
			if err != nil {
				return err
			}
			var results []check.Result
			for _, in := range inputs {
				r, err := check.Template(in.name, in.data)
				if err != nil {
					return err
				}
				results = append(results, r...)
			}
			if err := check.Ignore(results, o.ignore); err != nil {
				return usageErrorf("--ignore: %v", err)
			}
			if o.output == "json" {
				enc := json.NewEncoder(c.OutOrStdout())
				for _, r := range results {
					if err := enc.Encode(r); err != nil {
						return err
					}
				}
			} else {
				printResults(c.OutOrStdout(), results)
			}
			if n := check.Failed(results); n > 0 {
				return &silentError{exitFailure, fmt.Sprintf("%d check(s) failed", n)}
			}
			return nil
		},
	}
	manifestFlag(c, &o.file)
	c.Flags().StringVarP(&o.output, "output", "o", "text", "text or json (one result per line)")
	c.Flags().StringSliceVar(&o.ignore, "ignore", nil, "rule IDs whose failures do not count (repeat, or separate with commas)")
	return c
}

type namedTemplate struct {
	name string
	data []byte
}

func (o *checkOptions) templates(args []string) ([]namedTemplate, error) {
	var out []namedTemplate
	for _, a := range args {
		data, err := readTemplate(a)
		if err != nil {
			return nil, err
		}
		out = append(out, namedTemplate{a, data})
	}
	if len(args) > 0 {
		return out, nil
	}
	m, err := loadManifest(o.file)
	if err != nil {
		return nil, err
	}
	files, err := synth.Render(m)
	if err != nil {
		return nil, err
	}
	for _, s := range synth.Stacks {
		out = append(out, namedTemplate{s.File(), files[s.File()]})
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

func printResults(w io.Writer, results []check.Result) {
	byRule := map[string][]check.Result{}
	for _, r := range results {
		byRule[r.Rule] = append(byRule[r.Rule], r)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	counts := map[check.Status]int{}
	for _, rule := range check.Rules() {
		fmt.Fprintf(tw, "%s\t%s\n", rule.ID, rule.Summary)
		rs := byRule[rule.ID]
		sort.SliceStable(rs, func(i, j int) bool { return rs[i].Template < rs[j].Template })
		if len(rs) == 0 {
			fmt.Fprintf(tw, "  -\tno resource it applies to\n")
		}
		for _, r := range rs {
			counts[r.Status]++
			where := fmt.Sprintf("%s:%d %s", filepath.Base(r.Template), r.Line, r.Resource)
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", r.Status, where, r.Reason)
		}
	}
	tw.Flush()
	summary := fmt.Sprintf("\nrules pass on %d resource(s), fail on %d, skipped on %d", counts[check.Pass], counts[check.Fail], counts[check.Skip])
	if n := counts[check.Ignored]; n > 0 {
		summary += fmt.Sprintf(", failures ignored on %d", n)
	}
	fmt.Fprintln(w, summary)
}
