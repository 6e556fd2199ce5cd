// Package check holds the rules that make this architecture safe, evaluated on any
// CloudFormation template: each rule has an ID, one sentence, and a verdict per resource.
//
// It checks templates, not manifests: it must not import manifest, synth or anything
// that calls AWS.
package check

import (
	"fmt"
	"sort"

	"github.com/berthdev/berth/internal/cfn"
)

// Status is a rule's verdict on one resource.
type Status string

// Verdicts. Skip means the rule applies to the resource but the template alone cannot
// show whether it holds (a security group passed in as a parameter, say).
const (
	Pass Status = "pass"
	Fail Status = "fail"
	Skip Status = "skip"
	// Ignored is a failure the caller chose not to count (berth check --ignore).
	Ignored Status = "ignored"
)

// Rule is one property of a safe deployment.
type Rule struct {
	ID      string
	Summary string
	eval    func(d *cfn.Doc) []Result
}

// Result is a rule's verdict on one resource of one template.
type Result struct {
	Rule     string `json:"rule"`
	Template string `json:"template"`
	Resource string `json:"resource"`
	Line     int    `json:"line"`
	Status   Status `json:"status"`
	Reason   string `json:"reason,omitempty"`
}

// Rules are all the rules, in ID order.
func Rules() []Rule { return rules }

// Template evaluates every rule on one template; name labels the results.
func Template(name string, data []byte) ([]Result, error) {
	doc, err := cfn.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var out []Result
	for _, r := range rules {
		res := r.eval(doc)
		for i := range res {
			if res[i].Line == 0 { // a result about a resource is at its line
				res[i].Line = doc.Lines[res[i].Resource]
			}
		}
		sort.SliceStable(res, func(i, j int) bool { return res[i].Line < res[j].Line })
		for _, x := range res {
			x.Rule, x.Template = r.ID, name
			out = append(out, x)
		}
	}
	return out, nil
}

// Ignore turns the failures of the rules named in ids into Ignored, and reports an id
// that names no rule.
func Ignore(results []Result, ids []string) error {
	drop := map[string]bool{}
	for _, id := range ids {
		known := false
		for _, r := range rules {
			known = known || r.ID == id
		}
		if !known {
			return fmt.Errorf("no rule %q (the rules are BERTH001 to %s)", id, rules[len(rules)-1].ID)
		}
		drop[id] = true
	}
	for i := range results {
		if results[i].Status == Fail && drop[results[i].Rule] {
			results[i].Status = Ignored
		}
	}
	return nil
}

// Failed counts the failing results.
func Failed(results []Result) int {
	n := 0
	for _, r := range results {
		if r.Status == Fail {
			n++
		}
	}
	return n
}

func pass(resource string) Result { return Result{Resource: resource, Status: Pass} }

func fail(resource, format string, args ...any) Result {
	return Result{Resource: resource, Status: Fail, Reason: fmt.Sprintf(format, args...)}
}

func skip(resource, format string, args ...any) Result {
	return Result{Resource: resource, Status: Skip, Reason: fmt.Sprintf(format, args...)}
}

// ofType lists the resources of a type in template order.
func ofType(d *cfn.Doc, types ...string) []string {
	var out []string
	for _, name := range d.Order {
		for _, t := range types {
			if d.Resources[name].Type == t {
				out = append(out, name)
			}
		}
	}
	return out
}

// path walks nested maps by key.
func path(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func list(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return nil
}

// target names the resource an intrinsic points at: {Ref: X} or {Fn::GetAtt: [X, ...]}.
// A literal or anything else names none.
func target(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	if s, ok := m["Ref"].(string); ok {
		return s
	}
	if l := list(m["Fn::GetAtt"]); len(l) > 0 {
		s, _ := l[0].(string)
		return s
	}
	return ""
}

func isTrue(v any) bool {
	switch b := v.(type) {
	case bool:
		return b
	case string:
		return b == "true" || b == "True"
	}
	return false
}

func number(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case string:
		var i int
		_, err := fmt.Sscanf(n, "%d", &i)
		return i, err == nil
	}
	return 0, false
}

func orUnset(v any) any {
	if v == nil {
		return "unset"
	}
	return v
}
