package progress

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/deploy"
	"github.com/berthdev/berth/internal/stacks"
	"github.com/berthdev/berth/internal/style"
	"github.com/berthdev/berth/internal/teardown"
)

// WriteDeployed ends a deploy: where the service answers, and what happens next on AWS,
// which a user would otherwise take for a failure.
func WriteDeployed(w io.Writer, res *deploy.Result, st style.Style) {
	switch {
	case !res.Changed:
		fmt.Fprintf(w, "no changes: %s in %s runs this manifest already: %s\n", res.Service, res.Env, res.URL)
		return
	case res.Created:
		fmt.Fprintf(w, "\n%s %s to %s in %s: %s\n", st.Green("deployed"), res.Service, res.Env, Seconds(res.Duration), res.URL)
		fmt.Fprintf(w, "next: the capacity provider launches EC2 instances for the %d task(s) first, so the first tasks take a few minutes to run;\n"+
			"      \"berth verify --env %s\" waits for them and checks the URL\n", res.Desired, res.Env)
	default:
		fmt.Fprintf(w, "\n%s %s to %s in %s: %s\n", st.Green("deployed"), res.Service, res.Env, Seconds(res.Duration), res.URL)
		fmt.Fprintf(w, "next: ECS replaces the tasks a few at a time (new ones start and pass their health checks first);\n"+
			"      \"berth verify --env %s\" waits until they run and answer\n", res.Env)
	}
}

// WriteRemoval lists what a delete removes.
func WriteRemoval(w io.Writer, r *teardown.Removal, st style.Style) {
	if r.Empty() && len(r.Kept) == 0 {
		fmt.Fprintf(w, "nothing to delete: nothing berth made for %s is deployed\n", r.Env)
		return
	}
	if r.Empty() {
		fmt.Fprintf(w, "nothing to delete in %s\n", r.Env)
		for _, k := range r.Kept {
			fmt.Fprintf(w, "stays: %s\n", k)
		}
		return
	}
	fmt.Fprintf(w, "\n%s\n", st.Bold("delete removes:"))
	for _, s := range r.Stacks {
		fmt.Fprintf(w, "  %s stack %s\n", st.Sign("-"), s)
	}
	for _, g := range r.LogGroups {
		fmt.Fprintf(w, "  %s log group %s, with the logs it keeps\n", st.Sign("-"), g)
	}
	for _, repo := range r.Repositories {
		fmt.Fprintf(w, "  %s image repository %s and its %d image(s)\n", st.Sign("-"), repo.Name, repo.Images)
	}
	if r.Artifacts > 0 {
		fmt.Fprintf(w, "  %s %d template object(s) in the artifact bucket\n", st.Sign("-"), r.Artifacts)
	}
	if r.Bucket != "" {
		fmt.Fprintf(w, "  %s the artifact bucket %s, which nothing else uses\n", st.Sign("-"), r.Bucket)
	}
	for _, p := range r.Providers {
		fmt.Fprintf(w, "  %s the OpenID Connect provider %s, which berth made and no other role trusts\n", st.Sign("-"), p)
	}
	for _, k := range r.Kept {
		fmt.Fprintf(w, "stays: %s\n", k)
	}
	if len(r.Remaining) > 0 {
		fmt.Fprintf(w, "environment %s stays: service(s) %s still run in it\n", r.Env, strings.Join(r.Remaining, ", "))
	}
	if r.Keeps != nil {
		fmt.Fprintf(w, "%s\n", teardown.KeepsText(r.Keeps))
	}
	for _, rec := range r.Recoveries {
		fmt.Fprintf(w, "%s\n", rec.Summary())
		if rec.Status != stacks.DeleteFailed {
			fmt.Fprintln(w, "  the delete deletes it from that state")
			continue
		}
		fmt.Fprintln(w, "  the delete tries it again")
		for _, k := range rec.Retain {
			fmt.Fprintf(w, "  %s leaves %s %s (%s) in the account: %s\n", st.Sign("~"), k.Type, k.ID, k.Resource, k.Why)
		}
	}
	fmt.Fprintln(w)
}

// Seconds says a duration in seconds as a person reads it: tenths under ten seconds
// (never "0s" for a deploy that took 0.4), whole seconds under a minute, then minutes.
func Seconds(s float64) string {
	switch {
	case s < 10:
		return fmt.Sprintf("%.1fs", s)
	case s < 60:
		return fmt.Sprintf("%.0fs", s)
	}
	return (time.Duration(s) * time.Second).Round(time.Second).String()
}
