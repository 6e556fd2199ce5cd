package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/berthdev/berth/internal/local"
	"github.com/berthdev/berth/internal/manifest"
	"github.com/spf13/cobra"
)

type statusOptions struct {
	file, env, output, region, profile string
	local                              bool
}

func newStatus() *cobra.Command {
	o := &statusOptions{}
	c := &cobra.Command{
		Use:     "status",
		Short:   "Show what runs: the AWS stacks and service, or with --local the berth up replicas",
		Example: "  berth status\n  berth status --env prod -o json\n  berth status --local",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if o.local {
				if err := validOutput(o.output); err != nil {
					return err
				}
				if err := manifest.ValidEnv(o.env); err != nil {
					return usageErrorf("--env: %v", err)
				}
				return printLocalStatus(c, o.env, o.output)
			}
			return awsStatus(c, o)
		},
	}
	manifestFlag(c, &o.file)
	envFlag(c, &o.env)
	c.Flags().BoolVar(&o.local, "local", false, "the replicas of berth up instead of AWS")
	c.Flags().StringVar(&o.region, "region", "", "AWS region (default: AWS_REGION or the profile's)")
	c.Flags().StringVar(&o.profile, "profile", "", "AWS profile (default: AWS_PROFILE or default)")
	c.Flags().StringVarP(&o.output, "output", "o", "text", "text or json")
	return c
}

func printLocalStatus(c *cobra.Command, env, output string) error {
	cli, err := local.Connect(c.Context())
	if err != nil {
		return err
	}
	defer cli.Close()
	services, err := local.Status(c.Context(), cli, env)
	if err != nil {
		return err
	}
	w := c.OutOrStdout()
	if output == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Env      string        `json:"env"`
			Services []local.State `json:"services"`
		}{env, services})
	}
	if len(services) == 0 {
		fmt.Fprintf(w, "nothing runs locally for environment %s (start it with \"berth up\")\n", env)
		return nil
	}
	for i, st := range services {
		if i > 0 {
			fmt.Fprintln(w)
		}
		url := st.URL
		if url == "" {
			url = "(no berth up is running for it)"
		} else if st.PID != 0 {
			url += fmt.Sprintf(" (berth up pid %d)", st.PID)
		}
		fmt.Fprintf(w, "service %s, environment %s, %s\n\n", st.Service, env, url)
		if len(st.Replicas) == 0 {
			fmt.Fprintln(w, "  no replica yet")
			continue
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "REPLICA\tCONTAINER\tREVISION\tHEALTH\tADDRESS\tDOCKER")
		for _, r := range st.Replicas {
			health := r.Health
			if r.Reason != "" {
				health += " (" + r.Reason + ")"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.Container, r.Revision, health, r.Addr, r.Status)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}
