// Package replicaenv is what berth up gives each replica besides the manifest's env:
// the values of the manifest's secrets, from the developer's environment or the
// secrets file next to the manifest, and, only with --aws-profile, short-lived AWS
// credentials standing in for the task role. Nothing here is ever printed but names.
//
// It is the one package of the local path that takes one of the AWS path, session,
// for those credentials; it imports nothing of berth up's (local).
package replicaenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/berthdev/berth/internal/hint"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/berthdev/berth/internal/secrets"
	"github.com/berthdev/berth/internal/session"
)

// Env is what berth up gives each replica besides the manifest's env.
type Env struct {
	creds *session.ReplicaCredentials // nil without --aws-profile
}

// New resolves the profile's credentials once, when one is given.
func New(ctx context.Context, profile string) (*Env, error) {
	e := &Env{}
	if profile == "" {
		return e, nil
	}
	creds, err := session.NewReplicaCredentials(ctx, profile)
	if err != nil {
		return nil, err
	}
	e.creds = creds
	return e, nil
}

// Vars is what berth up's Options.ReplicaEnv asks for: the variables a replica of m
// gets, with fresh credentials.
func (e *Env) Vars(ctx context.Context, m *manifest.Manifest) ([]string, error) {
	v, err := Secrets(m)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, name := range m.SecretNames() {
		out = append(out, name+"="+v.Vars[name])
	}
	if e.creds != nil {
		env, _, err := e.creds.Env(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, env...)
	}
	return out, nil
}

// Secrets finds the manifest's secrets; a missing one is named with its line.
func Secrets(m *manifest.Manifest) (secrets.Values, error) {
	v, err := secrets.Local(m.Dir, m.SecretNames(), os.LookupEnv)
	var missing *secrets.MissingError
	if errors.As(err, &missing) {
		first := missing.Names[0]
		msg := fmt.Sprintf("%s:%d: secrets.%s: no value for berth up, which reads secrets from the environment, then from %s", m.File, m.Line("secrets."+first), first, missing.File)
		if len(missing.Names) > 1 {
			msg += "; nor for " + strings.Join(missing.Names[1:], ", ")
		}
		return v, hint.Wrap(errors.New(msg), missing.Hint())
	}
	return v, err
}

// Describe tells, before the replicas start, where each secret comes from and what
// AWS credentials the replicas get: names, sources and times, never values.
func (e *Env) Describe(ctx context.Context, w io.Writer, m *manifest.Manifest) error {
	if len(m.Secrets) > 0 {
		v, err := Secrets(m)
		if err != nil {
			return err
		}
		var from []string
		for _, name := range m.SecretNames() {
			from = append(from, name+" ("+v.From[name]+")")
		}
		fmt.Fprintf(w, "secrets: %s\n", strings.Join(from, ", "))
		for _, warning := range v.Warnings {
			fmt.Fprintf(w, "warning: %s\n", warning)
		}
	}
	switch {
	case e.creds != nil:
		_, expires, err := e.creds.Env(ctx)
		if err != nil {
			return err
		}
		how := "the profile's session"
		if e.creds.Exchanged {
			how = fmt.Sprintf("a %s session for its access keys", session.SessionLength)
		}
		until := ""
		if !expires.IsZero() {
			until = ", until " + expires.Local().Format(time.TimeOnly) + " (replicas started later get fresh ones)"
		}
		fmt.Fprintf(w, "AWS credentials: profile %s, %s%s\n", e.creds.Profile, how, until)
	case !m.Permissions.Empty():
		fmt.Fprintln(w, "AWS credentials: none; on AWS the tasks have the role of permissions (pass --aws-profile to give the replicas yours)")
	}
	return nil
}
