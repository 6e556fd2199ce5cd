package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/berthdev/berth/internal/deploy"
	"github.com/berthdev/berth/internal/image"
	"github.com/berthdev/berth/internal/local"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/style"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// awsOptions are the flags every AWS command shares.
type awsOptions struct {
	file, env, region, profile, output string
	yes, refreshAMI, updateEnv         bool
	// manifestOptional lets a command run without a manifest (status of a whole
	// environment, delete --environment); m is then nil.
	manifestOptional bool
}

func (o *awsOptions) flags(c *cobra.Command) {
	manifestFlag(c, &o.file)
	envFlag(c, &o.env)
	c.Flags().StringVar(&o.region, "region", "", "AWS region (default: AWS_REGION or the profile's)")
	c.Flags().StringVar(&o.profile, "profile", "", "AWS profile (default: AWS_PROFILE or default)")
	c.Flags().StringVarP(&o.output, "output", "o", "text", "text or json")
}

// session is what every AWS command starts from.
type session struct {
	ctx     context.Context
	stop    context.CancelFunc // call when done: it releases the Ctrl-C handler
	m       *manifest.Manifest
	clients *deploy.Clients
	id      deploy.Identity
}

// prepare validates the flags, loads the manifest, connects to AWS and asks who the
// credentials belong to; the session's context ends on Ctrl-C.
func (o *awsOptions) prepare(c *cobra.Command) (*session, error) {
	if err := validOutput(o.output); err != nil {
		return nil, err
	}
	if err := manifest.ValidEnv(o.env); err != nil {
		return nil, usageErrorf("--env: %v", err)
	}
	var m *manifest.Manifest
	if !o.manifestOptional || c.Flags().Changed("file") || fileExists(o.file) {
		var err error
		if m, err = loadManifest(o.file); err != nil {
			return nil, err
		}
	}
	ctx, stop := signal.NotifyContext(c.Context(), os.Interrupt, syscall.SIGTERM)
	clients, err := deploy.Connect(ctx, o.region, o.profile)
	if err != nil {
		stop()
		return nil, err
	}
	id, err := clients.WhoAmI(ctx)
	if err != nil {
		stop()
		return nil, err
	}
	return &session{ctx, stop, m, clients, id}, nil
}

// change is a session that changes AWS: it needs a terminal to ask on or --yes, and it
// says who changes what where before anything changes.
type change struct {
	*session
	progress deploy.Progress
}

func (o *awsOptions) begin(c *cobra.Command, verb string) (*change, error) {
	if !o.yes && !isTerminal(os.Stdin) {
		return nil, withHint(usageErrorf("stdin is not a terminal, so berth cannot ask before it %s", verb), "pass --yes to go ahead without confirmation")
	}
	s, err := o.prepare(c)
	if err != nil {
		return nil, err
	}
	progress := o.progress(c)
	progress.Identity(s.id)
	return &change{s, progress}, nil
}

// progress is the view of a long operation for --output and the terminal.
func (o *awsOptions) progress(c *cobra.Command) deploy.Progress {
	return deploy.NewProgress(c.OutOrStdout(), o.output, o.output == "text" && isTerminal(os.Stdout), styleOf(c))
}

// styleOf colours what goes to a terminal, and nothing else.
func styleOf(c *cobra.Command) style.Style {
	if c.OutOrStdout() != os.Stdout {
		return style.Plain()
	}
	return style.For(os.Stdout)
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// poll is how often berth asks CloudFormation for news: an emulator answers at once.
func poll(c *deploy.Clients) time.Duration {
	if c.Emulated != "" {
		return 100 * time.Millisecond
	}
	return 2 * time.Second
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

func newDeploy() *cobra.Command {
	o := &awsOptions{}
	c := &cobra.Command{
		Use:   "deploy",
		Short: "Create or update the environment's stacks and the service's in AWS",
		Long: `deploy works out a plan first: it reads the environment, builds the image when the
manifest says image.build (without pushing it), and asks CloudFormation for the change
set of every deployed stack. It shows the plan — the image, every stack, every change,
what is replaced — and asks once; then it pushes the image and brings
berth-<env>-network, berth-<env>-cluster and berth-<env>-svc-<service> to the manifest
in that order. A plan with nothing to change asks nothing. Without a terminal it
requires --yes.`,
		Example: "  berth deploy\n  berth deploy --env prod --region eu-west-1 --yes\n  berth deploy -o json --yes",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ch, err := o.begin(c, "changes stacks")
			if err != nil {
				return err
			}
			defer ch.stop()
			m, out := ch.m, c.OutOrStdout()
			opts := deploy.Options{Manifest: m, Env: o.env, Version: Version(), Progress: ch.progress, Poll: poll(ch.clients),
				RefreshAMI: o.refreshAMI, UpdateEnv: o.updateEnv}
			if !o.yes {
				opts.Confirm = func(ctx context.Context, pl *deploy.Plan) (bool, error) {
					return yes(ctx, c.InOrStdin(), out, fmt.Sprintf("deploy this plan (%d change(s)) to %s? [y/N] ", pl.Count(), o.env))
				}
			}
			if m.Image.Build != "" {
				opts.Image = func(ctx context.Context, arch string) (v1.Image, error) { return buildForAWS(ctx, m, arch) }
			}
			res, err := ch.clients.Deploy(ch.ctx, ch.id, opts)
			if err != nil {
				return err
			}
			if o.output == "json" {
				return json.NewEncoder(out).Encode(map[string]any{"kind": "result", "result": res})
			}
			printDeployed(out, res, styleOf(c))
			return nil
		},
	}
	o.flags(c)
	c.Flags().BoolVarP(&o.yes, "yes", "y", false, "deploy the plan without asking")
	c.Flags().BoolVar(&o.refreshAMI, "refresh-ami", false, "read capacity.ami's SSM parameter again and roll the instances to the image it names now")
	c.Flags().BoolVar(&o.updateEnv, "update-env", false, "let this manifest change network or capacity keys that other services of the environment share")
	return c
}

// printDeployed ends a deploy: where the service answers, and what happens next on AWS,
// which a user would otherwise take for a failure.
func printDeployed(w io.Writer, res *deploy.Result, st style.Style) {
	switch {
	case !res.Changed:
		fmt.Fprintf(w, "no changes: %s in %s runs this manifest already: %s\n", res.Service, res.Env, res.URL)
		return
	case res.Created:
		fmt.Fprintf(w, "\n%s %s to %s in %.0fs: %s\n", st.Green("deployed"), res.Service, res.Env, res.Duration, res.URL)
		fmt.Fprintf(w, "next: the capacity provider launches EC2 instances for the %d task(s) first, so the first tasks take a few minutes to run;\n"+
			"      \"berth verify --env %s\" waits for them and checks the URL\n", res.Desired, res.Env)
	default:
		fmt.Fprintf(w, "\n%s %s to %s in %.0fs: %s\n", st.Green("deployed"), res.Service, res.Env, res.Duration, res.URL)
		fmt.Fprintf(w, "next: ECS replaces the tasks a few at a time (new ones start and pass their health checks first);\n"+
			"      \"berth verify --env %s\" waits until they run and answer\n", res.Env)
	}
}

// yes asks a yes/no question on the terminal. Ctrl-C (ctx) ends it at once, not at
// the next Enter.
func yes(ctx context.Context, in io.Reader, out io.Writer, question string) (bool, error) {
	a, err := ask(ctx, in, out, question)
	if err != nil {
		return false, err
	}
	a = strings.ToLower(a)
	return a == "y" || a == "yes", nil
}

func ask(ctx context.Context, in io.Reader, out io.Writer, question string) (string, error) {
	fmt.Fprint(out, question)
	type answer struct {
		line string
		err  error
	}
	got := make(chan answer, 1)
	go func() { // left behind on Ctrl-C: the process ends soon after
		line, err := bufio.NewReader(in).ReadString('\n')
		if err != nil && line != "" {
			err = nil
		}
		got <- answer{strings.TrimSpace(line), err}
	}()
	select {
	case <-ctx.Done():
		fmt.Fprintln(out)
		return "", errors.New("interrupted at the question")
	case a := <-got:
		return a.line, a.err
	}
}

// buildForAWS builds image.build for the instances' CPU architecture.
func buildForAWS(ctx context.Context, m *manifest.Manifest, arch string) (v1.Image, error) {
	kind, err := image.Detect(m.BuildDir())
	if err != nil {
		return nil, fmt.Errorf("image.build: %w", err)
	}
	if kind == image.Dockerfile {
		cli, err := local.Connect(ctx)
		if err != nil {
			return nil, err
		}
		defer cli.Close()
		img, _, err := image.FromDockerfile(ctx, cli, m.BuildDir(), "berth.local/"+m.Name+":deploy", "linux/"+arch)
		return img, err
	}
	return image.BuildGo(ctx, image.GoOptions{Dir: m.BuildDir(), Arch: arch, Port: m.Port, Name: m.Name})
}

func newDiff() *cobra.Command {
	o := &awsOptions{}
	c := &cobra.Command{
		Use:   "diff",
		Short: "Show the plan of a deploy, without changing anything",
		Long: `diff shows what deploy would do: the image (built to know whether the sources changed,
not pushed), every stack, every resource change with the properties that change and
what is replaced, from CloudFormation's change sets (deleted once read) and from
comparing the deployed templates and parameters with the new ones.`,
		Example: "  berth diff\n  berth diff --env prod -o json",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			s, err := o.prepare(c)
			if err != nil {
				return err
			}
			defer s.stop()
			m := s.m
			opts := deploy.Options{Manifest: m, Env: o.env, Version: Version(), Poll: poll(s.clients), RefreshAMI: o.refreshAMI, UpdateEnv: o.updateEnv}
			if m.Image.Build != "" {
				opts.Image = func(ctx context.Context, arch string) (v1.Image, error) { return buildForAWS(ctx, m, arch) }
			}
			pl, err := s.clients.Diff(s.ctx, s.id, opts)
			if err != nil {
				return err
			}
			out := c.OutOrStdout()
			if o.output == "json" {
				return json.NewEncoder(out).Encode(pl)
			}
			deploy.WritePlan(out, pl, styleOf(c))
			if !pl.Changes() {
				fmt.Fprintln(out, "no changes")
			}
			return nil
		},
	}
	o.flags(c)
	c.Flags().BoolVar(&o.refreshAMI, "refresh-ami", false, "plan as deploy --refresh-ami would")
	c.Flags().BoolVar(&o.updateEnv, "update-env", false, "plan as deploy --update-env would")
	return c
}

func awsStatus(c *cobra.Command, so *statusOptions) error {
	o := &awsOptions{file: so.file, env: so.env, region: so.region, profile: so.profile, output: so.output, manifestOptional: true}
	s, err := o.prepare(c)
	if err != nil {
		return err
	}
	defer s.stop()
	m := s.m
	if m == nil {
		return environmentStatus(c, s, o)
	}
	st, err := s.clients.Status(s.ctx, o.env, m.Name)
	if err != nil {
		return err
	}
	note, err := s.clients.AMINote(s.ctx, o.env, m.Capacity.AMI)
	if err != nil {
		return err
	}
	if note != "" {
		st.Notes = append(st.Notes, note)
	}
	w := c.OutOrStdout()
	if o.output == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STACK\tSTATUS\tREASON")
	for _, s := range st.Stacks {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Name, s.Status, s.Reason)
	}
	tw.Flush()
	if st.URL == "" {
		return nil
	}
	fmt.Fprintf(w, "\nservice %s: desired %d, running %d, pending %d; deployment %s\n", m.Name, st.Desired, st.Running, st.Pending, orDash(st.Deployment))
	if len(st.Tasks) > 0 {
		fmt.Fprintln(tw, "\nTASK\tPRIVATE IP\tAZ\tHEALTH\tSTATUS")
		for _, t := range st.Tasks {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.ID, t.PrivateIP, t.AZ, t.Health, t.LastStatus)
		}
		tw.Flush()
	}
	if len(st.Targets) > 0 {
		fmt.Fprintln(tw, "\nTARGET\tSTATE\tREASON")
		for _, t := range st.Targets {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", t.ID, t.State, t.Reason)
		}
		tw.Flush()
	}
	fmt.Fprintf(w, "\nurl: %s\n", st.URL)
	for _, n := range st.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	return nil
}

// environmentStatus lists an environment's shared stacks and services: what "berth
// status" shows without a manifest.
func environmentStatus(c *cobra.Command, s *session, o *awsOptions) error {
	st, err := s.clients.EnvironmentStatus(s.ctx, o.env)
	if err != nil {
		return err
	}
	w := c.OutOrStdout()
	if o.output == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "environment %s\n\n", o.env)
	fmt.Fprintln(tw, "STACK\tSTATUS\tREASON")
	for _, s := range st.Stacks {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Name, s.Status, s.Reason)
	}
	tw.Flush()
	if len(st.Services) == 0 {
		fmt.Fprintf(w, "\nno service is deployed to %s\n", o.env)
		return nil
	}
	fmt.Fprintln(tw, "\nSERVICE\tSTACK\tSTATUS\tDESIRED\tRUNNING\tPENDING\tURL")
	for _, v := range st.Services {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\n", v.Name, v.Stack, v.Status, v.Desired, v.Running, v.Pending, v.URL)
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func newVerify() *cobra.Command {
	o := &awsOptions{}
	var timeout time.Duration
	var strict bool
	c := &cobra.Command{
		Use:   "verify",
		Short: "Wait until the service runs its desired count, its targets are healthy and its URL answers 200",
		Long: `verify is the reference's "test it out": it waits, with backoff, never past --timeout,
showing where it stands (tasks running, targets healthy), then reports each check as
pass, fail or skip and a summary. While tasks wait for capacity it says why the Auto
Scaling group could not launch instances, if it could not. Against an emulator (an
endpoint override) whose cluster has no container instance, the checks that need
running tasks are skipped, not passed, and --strict counts them as failures. It exits 1
when a check fails.`,
		Example: "  berth verify\n  berth verify --env prod --timeout 15m\n  berth verify --strict -o json",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			s, err := o.prepare(c)
			if err != nil {
				return err
			}
			defer s.stop()
			w, st := c.OutOrStdout(), styleOf(c)
			tty := o.output == "text" && isTerminal(os.Stdout)
			vo := deploy.VerifyOptions{Timeout: timeout, Progress: func(p deploy.VerifyProgress) {
				switch {
				case o.output == "json":
					json.NewEncoder(w).Encode(map[string]any{"kind": "progress", "progress": p})
				case tty:
					fmt.Fprintf(w, "\r\x1b[2K%s", waiting(p))
				default:
					fmt.Fprintln(w, waiting(p))
				}
			}}
			v, err := s.clients.Verify(s.ctx, o.env, s.m.Name, vo)
			if tty {
				fmt.Fprint(w, "\r\x1b[2K")
			}
			if err != nil {
				return err
			}
			failed, skipped, passed := v.Count("fail"), v.Count("skip"), v.Count("pass")
			if o.output == "json" {
				enc := json.NewEncoder(w)
				for _, ch := range v.Checks {
					enc.Encode(map[string]any{"kind": "check", "check": ch})
				}
				enc.Encode(map[string]any{"kind": "summary", "passed": passed, "failed": failed, "skipped": skipped, "note": v.Note, "strict": strict})
			} else {
				for _, ch := range v.Checks {
					fmt.Fprintf(w, "%-5s %-40s %s\n", st.Status(ch.Result), ch.Name, ch.Detail)
				}
				if v.Note != "" {
					fmt.Fprintf(w, "note: %s\n", v.Note)
				}
				fmt.Fprintln(w, verifySummary(passed, failed, skipped, strict, st))
			}
			if strict {
				failed += skipped
			}
			if failed > 0 {
				return &silentError{exitFailure, fmt.Sprintf("%d check(s) failed", failed)}
			}
			return nil
		},
	}
	o.flags(c)
	c.Flags().DurationVar(&timeout, "timeout", 10*time.Minute, "how long to wait for the service to settle")
	c.Flags().BoolVar(&strict, "strict", false, "count skipped checks as failures")
	return c
}

// waiting is one look at the service while verify waits.
func waiting(p deploy.VerifyProgress) string {
	return fmt.Sprintf("waiting: %d/%d running, %d/%d targets healthy — %s of %s", p.Running, p.Desired, p.Healthy, p.Targets,
		p.Elapsed.Round(time.Second), p.Timeout)
}

func verifySummary(passed, failed, skipped int, strict bool, st style.Style) string {
	total := passed + failed + skipped
	switch {
	case failed > 0:
		return st.Red(fmt.Sprintf("verify: %d of %d check(s) failed", failed, total))
	case skipped > 0 && strict:
		return st.Red(fmt.Sprintf("verify: %d of %d check(s) skipped, which --strict counts as failed", skipped, total))
	case skipped > 0:
		return st.Yellow(fmt.Sprintf("verify: %d of %d check(s) passed, %d skipped", passed, total, skipped))
	}
	return st.Green(fmt.Sprintf("verify: all %d checks passed", total))
}

func newLogs() *cobra.Command {
	o := &awsOptions{}
	lo := deploy.LogOptions{}
	since := "10m"
	c := &cobra.Command{
		Use:   "logs",
		Short: "Print the service's logs from CloudWatch, every task interleaved by time",
		Long: `logs prints what the service's tasks wrote, every task's stream interleaved by time, each
line with its task (in its own colour on a terminal). --since takes a duration (90s,
10m, 2h, 3d, 1d12h) or a time (RFC 3339, or a date). -o json prints one JSON object a
line. With no event it says where it looked and since when.`,
		Example: "  berth logs\n  berth logs --follow --since 1h\n  berth logs --since 2026-11-25T08:00:00Z -o json",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			var err error
			if lo.Since, err = parseSince(since, time.Now()); err != nil {
				return usageErrorf("--since: %v", err)
			}
			s, err := o.prepare(c)
			if err != nil {
				return err
			}
			defer s.stop()
			group, err := s.clients.LogGroup(s.ctx, o.env, s.m.Name)
			if err != nil {
				return err
			}
			lo.Poll = poll(s.clients) * 2
			w, st := c.OutOrStdout(), styleOf(c)
			enc := json.NewEncoder(w)
			tasks, n := map[string]int{}, 0
			err = s.clients.ReadLogs(s.ctx, group, lo, func(e deploy.LogEvent) {
				n++
				if o.output == "json" {
					enc.Encode(e)
					return
				}
				if _, ok := tasks[e.Task]; !ok {
					tasks[e.Task] = len(tasks)
				}
				fmt.Fprintf(w, "%s %s %s\n", st.Dim(e.Time.Format("15:04:05.000")), st.Nth(tasks[e.Task], fmt.Sprintf("%-12s", e.Task)), e.Message)
			})
			if err != nil {
				return err
			}
			if n == 0 && !lo.Follow {
				where := fmt.Sprintf("no log events in %s since %s (%s ago)", group, lo.Since.UTC().Format(time.RFC3339), time.Since(lo.Since).Round(time.Second))
				if o.output == "json" {
					fmt.Fprintln(c.ErrOrStderr(), where)
				} else {
					fmt.Fprintln(w, where)
				}
			}
			return nil
		},
	}
	o.flags(c)
	c.Flags().BoolVar(&lo.Follow, "follow", false, "keep printing new events")
	c.Flags().StringVar(&since, "since", since, "how far back to start: a duration (10m, 2h, 3d) or a time (RFC 3339, or a date)")
	return c
}

// parseSince reads --since: a duration back from now (Go's units, and d for days), an
// RFC 3339 time, or a date.
func parseSince(v string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", v); err == nil {
		return t, nil
	}
	rest, back := v, time.Duration(0)
	if days, after, ok := strings.Cut(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return time.Time{}, fmt.Errorf("%q is neither a duration (10m, 2h, 3d) nor a time (2026-11-25T08:00:00Z)", v)
		}
		rest, back = after, time.Duration(n)*24*time.Hour
	}
	if rest != "" {
		d, err := time.ParseDuration(rest)
		if err != nil || d < 0 {
			return time.Time{}, fmt.Errorf("%q is neither a duration (10m, 2h, 3d) nor a time (2026-11-25T08:00:00Z)", v)
		}
		back += d
	}
	return now.Add(-back), nil
}

func newDelete() *cobra.Command {
	o := &awsOptions{manifestOptional: true}
	var environment, force bool
	c := &cobra.Command{
		Use:   "delete",
		Short: "Remove the manifest's service; the environment goes with its last service",
		Long: `delete removes the manifest's service: its stack (and with it its load balancer and log
group), its templates in the artifact bucket and the image repository berth made for it,
with its images. When no other service remains in the environment, the cluster and the
network go too: the Auto Scaling group's instances lose their scale-in protection first
and the group is emptied, so that it deletes; the bucket goes once nothing else uses it.

--environment removes the whole environment. It refuses while services still run in it,
naming them, unless --force, which deletes them first. Without a manifest, --environment
is required.

It lists exactly what it will remove and asks; for an environment named like production
(prod, production, prd, live) the environment's name must be typed. Deleting what is
already gone succeeds.`,
		Example: "  berth delete\n  berth delete --env staging --yes\n  berth delete --env staging --environment --force --yes",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if force && !environment {
				return usageErrorf("--force applies to --environment")
			}
			ch, err := o.begin(c, "deletes")
			if err != nil {
				return err
			}
			defer ch.stop()
			do := deploy.DeleteOptions{Env: o.env, Environment: environment, Force: force, Progress: ch.progress, Poll: poll(ch.clients)}
			if !environment {
				if ch.m == nil {
					return withHint(usageErrorf("no manifest at %s: berth cannot tell which service to delete", o.file),
						"point -f at the service's manifest, or pass --environment to delete the whole environment")
				}
				do.Service = ch.m.Name
			}
			r, err := ch.clients.PlanDelete(ch.ctx, ch.id, do)
			if err != nil {
				return err
			}
			out := c.OutOrStdout()
			if o.output == "json" {
				json.NewEncoder(out).Encode(map[string]any{"kind": "removal", "removal": r})
			} else {
				printRemoval(out, r, styleOf(c))
			}
			if r.Empty() {
				return nil
			}
			if !o.yes {
				if err := confirmRemoval(ch.ctx, c, r); err != nil {
					return err
				}
				ch.progress.Restart()
			}
			return ch.clients.Delete(ch.ctx, ch.id, do)
		},
	}
	o.flags(c)
	c.Flags().BoolVarP(&o.yes, "yes", "y", false, "delete without asking")
	c.Flags().BoolVar(&environment, "environment", false, "delete the whole environment: network, cluster and artifacts")
	c.Flags().BoolVar(&force, "force", false, "with --environment: delete the services still in it too")
	return c
}

// printRemoval lists what a delete removes.
func printRemoval(w io.Writer, r *deploy.Removal, st style.Style) {
	if r.Empty() {
		fmt.Fprintf(w, "nothing to delete: nothing berth made for %s is deployed\n", r.Env)
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
	if len(r.Remaining) > 0 {
		fmt.Fprintf(w, "environment %s stays: service(s) %s still run in it\n", r.Env, strings.Join(r.Remaining, ", "))
	}
	fmt.Fprintln(w)
}

// confirmRemoval asks before a delete; an environment named like production takes its
// name typed out, not a y.
func confirmRemoval(ctx context.Context, c *cobra.Command, r *deploy.Removal) error {
	in, out := c.InOrStdin(), c.OutOrStdout()
	if productionLike(r.Env) {
		typed, err := ask(ctx, in, out, fmt.Sprintf("%s looks like a production environment: type its name to delete this: ", r.Env))
		if err != nil {
			return fmt.Errorf("nothing deleted: %w", err)
		}
		if typed != r.Env {
			return fmt.Errorf("nothing deleted: %q is not %q", typed, r.Env)
		}
		return nil
	}
	ok, err := yes(ctx, in, out, "delete all of this? [y/N] ")
	if err != nil {
		return fmt.Errorf("nothing deleted: %w", err)
	}
	if !ok {
		return errors.New("nothing deleted")
	}
	return nil
}

// productionLike: prod, production, prd or live as a part of the name (prod-eu, live).
func productionLike(env string) bool {
	for _, part := range strings.Split(env, "-") {
		switch part {
		case "prod", "production", "prd", "live":
			return true
		}
	}
	return false
}
