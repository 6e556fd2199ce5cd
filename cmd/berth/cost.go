package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/berthdev/berth/internal/cost"
	"github.com/berthdev/berth/internal/style"
	"github.com/spf13/cobra"
)

func newCost() *cobra.Command {
	var file, region, output string
	c := &cobra.Command{
		Use:   "cost",
		Short: "Estimate what the manifest costs a month, and what each variant would",
		Long: `cost estimates the monthly bill of the manifest's service and its environment, line by
line — NAT gateways and what they charge per GB, the load balancer, public IPv4
addresses, EC2 instances and their volumes or Fargate tasks, logs — from on-demand list
prices compiled into berth (with their date and source), for the region of --region or
of your AWS configuration. It then sets the same service on every capacity type and
placement side by side. A region or instance type the table lacks is said, not guessed.
No AWS call is made.`,
		Example: "  berth cost\n  berth cost --region eu-west-1 -o json",
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := validOutput(output); err != nil {
				return err
			}
			m, err := loadManifest(file)
			if err != nil {
				return err
			}
			if region == "" {
				region = configuredRegion(c.Context())
			}
			if region == "" {
				return withHint(usageErrorf("no AWS region: the estimate is per region"), "pass --region, or set AWS_REGION")
			}
			e, err := cost.Of(m, region)
			if err != nil {
				return err
			}
			alts := cost.Alternatives(m, region, e)
			w := c.OutOrStdout()
			if output == "json" {
				return json.NewEncoder(w).Encode(map[string]any{"estimate": e, "alternatives": alts,
					"prices": map[string]any{"date": cost.PricesDate, "source": cost.PricesSource, "checked": e.PricesChecked}})
			}
			printEstimate(w, m.Name, e, alts, styleOf(c))
			return nil
		},
	}
	manifestFlag(c, &file)
	c.Flags().StringVar(&region, "region", "", "AWS region (default: AWS_REGION or the profile's)")
	c.Flags().StringVarP(&output, "output", "o", "text", "text or json")
	return c
}

// configuredRegion reads the region of the AWS configuration (environment, profile),
// without credentials and without a call.
func configuredRegion(ctx context.Context) string {
	if ctx == nil {
		ctx = context.Background()
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return os.Getenv("AWS_REGION")
	}
	return cfg.Region
}

func printEstimate(w io.Writer, service string, e *cost.Estimate, alts []cost.Alternative, st style.Style) {
	fmt.Fprintf(w, "%s %s (%s) in %s, a month at on-demand list prices:\n\n", st.Bold("estimate:"), service, e.Variant, e.Region)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, l := range e.Lines {
		amount := fmt.Sprintf("$%.2f", l.Monthly)
		if l.Unknown {
			amount = "unknown"
		} else if l.Monthly == 0 && l.PerUse != "" {
			amount = "by use"
		}
		// the amount before the working, so that the per-use lines, which are each
		// table line's last cell, do not end the table's columns
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", l.Item, amount, l.Quantity)
		if l.PerUse != "" {
			fmt.Fprintf(tw, "  \t\t+ %s\n", l.PerUse)
		}
	}
	rest := "a month before traffic"
	if !e.Complete {
		rest += " and the lines marked unknown"
	}
	fmt.Fprintf(tw, "  %s\t%s\t%s\n", st.Bold("total"), st.Bold(fmt.Sprintf("$%.2f", e.Total)), rest)
	tw.Flush()

	fmt.Fprintf(w, "\n%s\n", st.Bold("the same service on each variant:"))
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  VARIANT\tMONTHLY\tAGAINST THIS MANIFEST")
	for i, a := range alts {
		against := "(this manifest)"
		if i > 0 {
			against = dollars(a.Difference) + " a month"
			switch {
			case a.NATPerGB == 0 && e.NATPerGB > 0:
				against += fmt.Sprintf(", and no $%.3f per GB of NAT processing", e.NATPerGB)
			case a.NATPerGB > 0 && e.NATPerGB == 0:
				against += fmt.Sprintf(", plus $%.3f per GB through NAT", a.NATPerGB)
			}
		}
		if a.Note != "" {
			against += " (" + a.Note + ")"
		}
		amount := fmt.Sprintf("$%.2f", a.Total)
		if !a.Complete {
			amount += "+"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", a.Variant, amount, against)
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%s, as compiled into berth on %s; data transfer out to the internet, the same for every variant, is not included.\n",
		cost.PricesSource, cost.PricesDate)
	if !e.PricesChecked {
		fmt.Fprintf(w, "%s the %s figures were not checked against a published source when they were compiled.\n", st.Yellow("warning:"), e.Region)
	}
	fmt.Fprintln(w, "Check the AWS Pricing Calculator before a decision that turns on a few dollars.")
}

// dollars writes a signed amount: +$1.50, -$65.70.
func dollars(d float64) string {
	if d < 0 {
		return fmt.Sprintf("-$%.2f", -d)
	}
	return fmt.Sprintf("+$%.2f", d)
}
