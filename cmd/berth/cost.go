package main

import (
	"encoding/json"

	"github.com/berthdev/berth/internal/cost"
	"github.com/berthdev/berth/internal/session"
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
				region = session.ConfiguredRegion(c.Context())
			}
			if region == "" {
				return withHint(usageErrorf("no AWS region: the estimate is per region"), "pass --region, or set AWS_REGION")
			}
			if err := session.CheckRegion(region, "--region"); err != nil {
				return err
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
			cost.WriteText(w, m.Name, e, alts, styleOf(c))
			return nil
		},
	}
	manifestFlag(c, &file)
	c.Flags().StringVar(&region, "region", "", "AWS region (default: AWS_REGION or the profile's)")
	c.Flags().StringVarP(&output, "output", "o", "text", "text or json")
	return c
}
