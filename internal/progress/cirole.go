package progress

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/berthdev/berth/internal/deploy"
	"github.com/berthdev/berth/internal/style"
)

// WriteCIRolePlan prints what berth ci role will do: the provider, the stack and its
// changes, and who may assume each role, in words; or a JSON line.
func WriteCIRolePlan(w io.Writer, pl *deploy.CIRolePlan, asJSON bool, st style.Style) {
	if asJSON {
		json.NewEncoder(w).Encode(map[string]any{"kind": "plan", "plan": pl})
		return
	}
	fmt.Fprintf(w, "\n%s CI roles of %s for %s:\n", st.Bold("plan:"), pl.Trusts, pl.Env)
	p := pl.Provider
	switch p.Action {
	case "create":
		fmt.Fprintf(w, "  OpenID Connect provider %s: %s (the account has none; it stays while a role trusts it)\n", p.URL, st.Bold("create"))
	case "reuse":
		fmt.Fprintf(w, "  OpenID Connect provider %s: reuse %s, the account's\n", p.URL, p.ARN)
	default:
		fmt.Fprintf(w, "  OpenID Connect provider %s: %s, made by this stack\n", p.URL, p.ARN)
	}
	if pl.Action == "none" {
		fmt.Fprintf(w, "  %s: %s\n", pl.Stack, st.Dim("no changes"))
	} else {
		fmt.Fprintf(w, "  %s: %s, %d change(s)\n", pl.Stack, st.Bold(pl.Action), len(pl.Changes))
	}
	writeChanges(w, pl.Changes, st)
	fmt.Fprintln(w, "  who may assume the roles:")
	for _, a := range pl.Allows {
		fmt.Fprintf(w, "    %s\n", a)
	}
	fmt.Fprintln(w)
}

// WriteCIRoleResult ends berth ci role: the roles, and the command that writes the
// workflow that assumes them.
func WriteCIRoleResult(w io.Writer, res *deploy.CIRoleResult, st style.Style) {
	if !res.Changed {
		fmt.Fprintf(w, "no changes: %s trusts what it should already\n", res.Stack)
	} else {
		fmt.Fprintf(w, "\n%s %s\n", st.Green("made"), res.Stack)
	}
	fmt.Fprintf(w, "deploy role: %s\nplan role:   %s\n", res.DeployRole, res.PlanRole)
	fmt.Fprintf(w, "next: berth ci init %s --env %s --role %s --plan-role %s\n", res.Provider, res.Env, res.DeployRole, res.PlanRole)
	fmt.Fprintln(w, "      writes the workflow: pull requests get the plan, the branch deploys; credentials only through OpenID Connect")
}
