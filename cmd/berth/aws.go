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
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/berthdev/berth/internal/deploy"
	"github.com/berthdev/berth/internal/image"
	"github.com/berthdev/berth/internal/local"
	"github.com/berthdev/berth/internal/manifest"
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
	progress := deploy.NewProgress(c.OutOrStdout(), o.output, o.output == "text" && isTerminal(os.Stdout))
	service := ""
	if s.m != nil {
		service = s.m.Name
	}
	progress.Message(deploy.Plan(s.id, o.env, service))
	return &change{s, progress}, nil
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
		Short: "Create or update the network, cluster and service stacks in AWS",
		Long: `deploy builds and pushes the image when the manifest says image.build, uploads the
templates to the artifact bucket, and brings berth-<env>-network, berth-<env>-cluster and
berth-<env>-<service> to the manifest through change sets, in that order. A stack with
no changes is skipped. On a terminal it shows each change set and asks before running
it, unless --yes; without a terminal it requires --yes.`,
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
				opts.Confirm = confirm(c.InOrStdin(), out)
			}
			if m.Image.Build != "" {
				opts.Image = func(ctx context.Context, arch string) (v1.Image, error) { return buildForAWS(ctx, m, arch) }
			}
			res, err := ch.clients.Deploy(ch.ctx, ch.id, opts)
			if err != nil {
				return err
			}
			if o.output == "json" {
				return json.NewEncoder(out).Encode(map[string]any{"kind": "result", "data": map[string]any{"url": res.URL, "image": res.Image, "skipped": res.Skipped}})
			}
			fmt.Fprintf(out, "\ndeployed %s to %s: %s\nnext: berth verify --env %s\n", m.Name, o.env, res.URL, o.env)
			return nil
		},
	}
	o.flags(c)
	c.Flags().BoolVarP(&o.yes, "yes", "y", false, "run the change sets without asking")
	c.Flags().BoolVar(&o.refreshAMI, "refresh-ami", false, "read capacity.ami's SSM parameter again and roll the instances to the image it names now")
	c.Flags().BoolVar(&o.updateEnv, "update-env", false, "let this manifest change network or capacity keys that other services of the environment share")
	return c
}

func confirm(in io.Reader, out io.Writer) func(string, []deploy.Change) (bool, error) {
	r := bufio.NewReader(in)
	return func(stack string, _ []deploy.Change) (bool, error) {
		fmt.Fprintf(out, "execute these changes to %s? [y/N] ", stack)
		line, err := r.ReadString('\n')
		if err != nil && line == "" {
			return false, err
		}
		a := strings.ToLower(strings.TrimSpace(line))
		return a == "y" || a == "yes", nil
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
		Use:     "diff",
		Short:   "Show what deploy would change in each stack, without changing anything",
		Example: "  berth diff\n  berth diff --env prod -o json",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			s, err := o.prepare(c)
			if err != nil {
				return err
			}
			defer s.stop()
			diffs, err := s.clients.Diff(s.ctx, s.id, deploy.Options{Manifest: s.m, Env: o.env, Version: Version(), Poll: poll(s.clients)})
			if err != nil {
				return err
			}
			out := c.OutOrStdout()
			if o.output == "json" {
				return json.NewEncoder(out).Encode(diffs)
			}
			for _, d := range diffs {
				fmt.Fprintf(out, "%s: %s", d.Stack, d.Action)
				if len(d.Changes) > 0 {
					fmt.Fprintf(out, ", %d change(s)", len(d.Changes))
				}
				if d.Note != "" {
					fmt.Fprintf(out, " (%s)", d.Note)
				}
				fmt.Fprintln(out)
				deploy.NewProgress(out, "text", false).Changes(d.Changes)
			}
			return nil
		},
	}
	o.flags(c)
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
	c := &cobra.Command{
		Use:   "verify",
		Short: "Wait until the service runs its desired count, its targets are healthy and its URL answers 200",
		Long: `verify is the reference's "test it out": it waits, with backoff, up to --timeout, then
reports each check as pass, fail or skip. Against an emulator (an endpoint override)
whose cluster has no container instance, the checks that need running tasks are
skipped with the reason, not passed.
It exits 1 when a check fails.`,
		Example: "  berth verify\n  berth verify --env prod --timeout 15m",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			s, err := o.prepare(c)
			if err != nil {
				return err
			}
			defer s.stop()
			w := c.OutOrStdout()
			checks, err := s.clients.Verify(s.ctx, o.env, s.m.Name, deploy.VerifyOptions{Timeout: timeout})
			if err != nil {
				return err
			}
			failed := 0
			for _, ch := range checks {
				if ch.Result == "fail" {
					failed++
				}
				if o.output == "json" {
					json.NewEncoder(w).Encode(ch)
				} else {
					fmt.Fprintf(w, "%-5s %-40s %s\n", ch.Result, ch.Name, ch.Detail)
				}
			}
			if failed > 0 {
				return &silentError{exitFailure, fmt.Sprintf("%d check(s) failed", failed)}
			}
			return nil
		},
	}
	o.flags(c)
	c.Flags().DurationVar(&timeout, "timeout", 10*time.Minute, "how long to wait for the service to settle")
	return c
}

func newLogs() *cobra.Command {
	o := &awsOptions{}
	lo := deploy.LogOptions{}
	c := &cobra.Command{
		Use:     "logs",
		Short:   "Print the service's logs from CloudWatch, every task interleaved by time",
		Example: "  berth logs\n  berth logs --follow --since 1h",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			s, err := o.prepare(c)
			if err != nil {
				return err
			}
			defer s.stop()
			lo.Poll = poll(s.clients) * 2
			return s.clients.PrintLogs(s.ctx, o.env, s.m.Name, lo, c.OutOrStdout())
		},
	}
	o.flags(c)
	c.Flags().BoolVar(&lo.Follow, "follow", false, "keep printing new events")
	c.Flags().DurationVar(&lo.Since, "since", 10*time.Minute, "how far back to start")
	return c
}

func newDelete() *cobra.Command {
	o := &awsOptions{manifestOptional: true}
	var environment, force bool
	c := &cobra.Command{
		Use:   "delete",
		Short: "Remove the manifest's service; the environment goes with its last service",
		Long: `delete removes the manifest's service: its stack, its templates in the artifact bucket
and the image repository berth made for it. When no other service remains in the
environment, the cluster and the network go too: the Auto Scaling group is emptied and
its instances' scale-in protection lifted first, so that it deletes, and the bucket
goes once nothing else uses it.

--environment removes the whole environment. It refuses while services still run in it,
naming them, unless --force, which deletes them first. Without a manifest, --environment
is required. Deleting what is already gone succeeds.`,
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
			what := "environment " + o.env + " with every service in it"
			if !environment {
				if ch.m == nil {
					return withHint(usageErrorf("no manifest at %s: berth cannot tell which service to delete", o.file),
						"point -f at the service's manifest, or pass --environment to delete the whole environment")
				}
				do.Service, what = ch.m.Name, "service "+ch.m.Name+" of environment "+o.env+" (and the environment, if no other service remains)"
			}
			if !o.yes {
				ok, err := confirm(c.InOrStdin(), c.OutOrStdout())(what, nil)
				if err != nil || !ok {
					return errors.New("nothing deleted")
				}
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
