package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/berthdev/berth/internal/ci"
	"github.com/berthdev/berth/internal/deploy"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/ops"
	"github.com/berthdev/berth/internal/progress"
	"github.com/berthdev/berth/internal/prompt"
	"github.com/berthdev/berth/internal/session"
	"github.com/berthdev/berth/internal/style"
	"github.com/berthdev/berth/internal/teardown"
	"github.com/spf13/cobra"
)

// awsOptions are the flags every AWS command shares.
type awsOptions struct {
	file, env, region, profile, output   string
	yes, refreshAMI, updateEnv, rollback bool
	// manifestOptional lets a command run without a manifest (status of a whole
	// environment, delete --environment); m is then nil.
	manifestOptional bool
}

func (o *awsOptions) flags(c *cobra.Command) {
	manifestFlag(c, &o.file)
	o.awsFlags(c)
}

// awsFlags are the flags of a command that reads no manifest.
func (o *awsOptions) awsFlags(c *cobra.Command) {
	envFlag(c, &o.env)
	c.Flags().StringVar(&o.region, "region", "", "AWS region (default: AWS_REGION or the profile's)")
	c.Flags().StringVar(&o.profile, "profile", "", "AWS profile (default: AWS_PROFILE or default)")
	c.Flags().StringVarP(&o.output, "output", "o", "text", "text or json")
}

// awsRun is what every AWS command starts from.
type awsRun struct {
	ctx  context.Context
	stop context.CancelFunc // call when done: it releases the Ctrl-C handler
	m    *manifest.Manifest
	aws  *session.Session
	id   session.Identity
}

// deployer, deleter and reader are the AWS path for commands that change, that delete
// and that read.
func (r *awsRun) deployer() *deploy.Clients  { return deploy.New(r.aws) }
func (r *awsRun) deleter() *teardown.Clients { return teardown.New(r.aws) }
func (r *awsRun) reader() *ops.Clients       { return ops.New(r.aws) }

// prepare validates the flags, loads the manifest, connects to AWS and asks who the
// credentials belong to; the session's context ends on Ctrl-C.
func (o *awsOptions) prepare(c *cobra.Command) (*awsRun, error) {
	if err := validOutput(o.output); err != nil {
		return nil, err
	}
	if err := manifest.ValidEnv(o.env); err != nil {
		return nil, usageErrorf("--env: %v", err)
	}
	var m *manifest.Manifest
	if c.Flags().Lookup("file") != nil && (!o.manifestOptional || c.Flags().Changed("file") || manifest.Exists(o.file)) {
		var err error
		if m, err = manifest.Open(o.file); err != nil {
			return nil, err
		}
	}
	ctx, stop := signal.NotifyContext(c.Context(), os.Interrupt, syscall.SIGTERM)
	s, id, err := session.Open(ctx, o.region, o.profile)
	if err != nil {
		stop()
		return nil, err
	}
	return &awsRun{ctx, stop, m, s, id}, nil
}

// change is a run that changes AWS: it needs a terminal to ask on or --yes, and it
// says who changes what where before anything changes.
type change struct {
	*awsRun
	progress  deploy.Progress
	cannotAsk error // why no question can be asked (no terminal, a CI job); nil when one can
}

func (o *awsOptions) begin(c *cobra.Command, verb string) (*change, error) {
	s, err := o.prepare(c)
	if err != nil {
		return nil, err
	}
	p := o.progress(c)
	p.Identity(s.id)
	ch := &change{awsRun: s, progress: p}
	// where no question can be asked, berth still checks berth.yml and works out the
	// plan, and refuses only at the question: a plan without changes needs no --yes
	if name := ci.Running(); !o.yes && name != "" {
		ch.cannotAsk = withHint(usageErrorf("berth runs in %s, where it asks no question before it %s", name, verb), "pass --yes to go ahead without confirmation")
	} else if !o.yes && !isTerminal(os.Stdin) {
		ch.cannotAsk = withHint(usageErrorf("stdin is not a terminal, so berth cannot ask before it %s", verb), "pass --yes to go ahead without confirmation")
	}
	return ch, nil
}

// ask asks question, or refuses where no question can be asked.
func (ch *change) ask(c *cobra.Command, question string) (bool, error) {
	if ch.cannotAsk != nil {
		return false, ch.cannotAsk
	}
	return prompt.Yes(ch.ctx, c.InOrStdin(), c.OutOrStdout(), question)
}

// progress is the view of a long operation for --output and the terminal; in a
// GitHub Actions job it adds the plan to the job summary.
func (o *awsOptions) progress(c *cobra.Command) deploy.Progress {
	p := progress.New(c.OutOrStdout(), o.output, o.output == "text" && isTerminal(os.Stdout), styleOf(c))
	return progress.Summarized(p, c.ErrOrStderr())
}

// styleOf colours what goes to a terminal outside CI, and nothing else.
func styleOf(c *cobra.Command) style.Style {
	if c.OutOrStdout() != os.Stdout || ci.Running() != "" {
		return style.Plain()
	}
	return style.For(os.Stdout)
}

// isTerminal: a terminal a person watches (a CI job may have one; nobody watches it).
func isTerminal(f *os.File) bool { return prompt.IsTerminal(f) && ci.Running() == "" }
