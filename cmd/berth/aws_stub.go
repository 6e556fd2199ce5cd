package main

import "github.com/spf13/cobra"

func awsStatus(c *cobra.Command, o *statusOptions) error {
	return usageErrorf("status of AWS deployments is not built yet; use --local")
}
