package local

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"

	"github.com/berthdev/berth/internal/docker"
	"github.com/berthdev/berth/internal/hint"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/replicaenv"
	"github.com/berthdev/berth/internal/style"
)

// UpFlags are what berth up is called with; the *Set fields say whether the flag was
// given (a default listen address moves up when another berth up holds it).
type UpFlags struct {
	File, Env, Listen, TLSListen, AWSProfile string
	ListenSet, TLSSet, TLSListenSet          bool
	Watch, ViaPorts, TLS                     bool
	RolloutSpeed                             float64 // 1: real time
	Out                                      io.Writer
	Style                                    style.Style // colours, on a terminal
}

// RunUp is berth up: it reads the manifest (load, with the CLI's hints), gives the
// replicas what they are owed (secrets, credentials of --aws-profile), serves HTTPS when
// the manifest has a domain or --tls asks, and runs until Ctrl-C or SIGTERM; a second
// Ctrl-C hurries the stop, a third leaves.
func RunUp(ctx context.Context, f UpFlags, load func(string) (*manifest.Manifest, error)) error {
	if err := manifest.ValidEnv(f.Env); err != nil {
		return hint.Usage(fmt.Errorf("--env: %w", err))
	}
	if !(f.RolloutSpeed > 0 && f.RolloutSpeed <= maxRolloutSpeed) {
		return hint.Usage(fmt.Errorf("--rollout-speed %g: more than 0, at most %d (1 is real time; 10 makes a 3m bake 18s)", f.RolloutSpeed, maxRolloutSpeed))
	}
	m, err := load(f.File)
	if err != nil {
		return err
	}
	ctx, more, stop := OnInterrupt(ctx)
	defer stop()
	extra, err := replicaenv.New(ctx, f.AWSProfile)
	if err != nil {
		return err
	}
	out := NewOutput(f.Out, f.Style)
	if err := extra.Describe(ctx, out, m); err != nil {
		return err
	}
	cli, err := docker.Connect(ctx)
	if err != nil {
		return err
	}
	defer cli.Close()
	listen := f.Listen
	if !f.ListenSet {
		listen = "" // the default, moved up when another berth up holds it
	}
	if f.TLSListenSet && !f.TLS && !m.HTTPS() && !m.CloudFront() {
		return hint.Usage(fmt.Errorf("--tls-listen needs --tls (or a domain or edge: cloudfront in berth.yml)"))
	}
	var tlsConfig *tls.Config
	if f.TLS || ((m.HTTPS() || m.CloudFront()) && !f.TLSSet) {
		if tlsConfig, err = TLSConfig(out, m); err != nil {
			return err
		}
	}
	return Up(ctx, cli, Options{
		Manifest: m, Load: func() (*manifest.Manifest, error) { return manifest.Load(f.File) },
		Env: f.Env, Listen: listen, ViaPorts: f.ViaPorts, TLS: tlsConfig, TLSListen: f.TLSListen, RolloutSpeed: f.RolloutSpeed,
		Out: out, Reloads: Reloads(ctx, f.File, m.BuildDir(), f.Watch), ReplicaEnv: extra.Vars, Interrupts: more,
	})
}

// maxRolloutSpeed keeps the rule's one-minute windows at a tenth of a second at least:
// shorter ones would hold too few requests to judge.
const maxRolloutSpeed = 600
