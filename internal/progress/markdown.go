package progress

import (
	"fmt"
	"io"
	"strings"

	"github.com/berthdev/berth/internal/ci"
	"github.com/berthdev/berth/internal/deploy"
	"github.com/berthdev/berth/internal/style"
)

// The plan and the result of a deploy or diff in a GitHub Actions job summary
// (GITHUB_STEP_SUMMARY, GitHub-flavoured Markdown): a heading a reviewer sees on the
// run's page and the pull request's checks, the cost change, and the plan as berth
// prints it, in a fenced block.

// WritePlanMarkdown renders a plan for a job summary.
func WritePlanMarkdown(w io.Writer, pl *deploy.Plan) {
	verb := "no changes"
	if pl.Changes() {
		verb = fmt.Sprintf("%d change(s)", pl.Count())
		if pl.Image.Changed {
			verb += ", a new image"
		}
	}
	fmt.Fprintf(w, "### berth plan: %s to %s — %s\n\n", pl.Service, pl.Env, verb)
	if c := pl.Cost; c != nil {
		fmt.Fprintf(w, "Estimate: **environment %s $%.2f a month** (%s), of which %s $%.2f, before traffic, at on-demand prices in %s.\n\n",
			c.Env, c.After, costWas(c), c.Service, c.ServiceAfter, c.Region)
	}
	fmt.Fprintf(w, "Account %s, region %s.\n\n", pl.Account, pl.Region)
	var b strings.Builder
	WritePlan(&b, pl, style.Plain())
	fence(w, b.String())
}

// WriteDeployedMarkdown renders how a deploy ended: done, nothing to do, or failed.
func WriteDeployedMarkdown(w io.Writer, res *deploy.Result, err error) {
	switch {
	case err != nil:
		fmt.Fprintf(w, "### berth deploy failed\n\n")
		fence(w, err.Error()+"\n")
	case !res.Changed:
		fmt.Fprintf(w, "### berth deploy: no changes\n\n%s in %s runs this manifest already: %s\n\n", res.Service, res.Env, res.URL)
	default:
		fmt.Fprintf(w, "### berth deploy: %s deployed to %s in %s\n\n%s\n\n", res.Service, res.Env, Seconds(res.Duration), res.URL)
	}
}

// fence puts text in a code block whose fence no line of it can close.
func fence(w io.Writer, text string) {
	f := "```"
	for strings.Contains(text, f) {
		f += "`"
	}
	fmt.Fprintf(w, "%stext\n%s%s\n\n", f, strings.TrimLeft(text, "\n"), f)
}

// Summarized is p, adding each plan it shows to the job summary too (warnings to warn).
func Summarized(p deploy.Progress, warn io.Writer) deploy.Progress {
	return &summarized{Progress: p, warn: warn}
}

type summarized struct {
	deploy.Progress
	warn io.Writer
}

func (s *summarized) Plan(pl *deploy.Plan) {
	s.Progress.Plan(pl)
	ci.Summarize(s.warn, func(w io.Writer) { WritePlanMarkdown(w, pl) })
}
