package cost

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/berthdev/berth/internal/style"
)

// WriteText prints the estimate of service line by line, then the same service on
// every variant (alts, as Alternatives gives them).
func WriteText(w io.Writer, service string, e *Estimate, alts []Alternative, st style.Style) {
	fmt.Fprintf(w, "%s %s (%s) in %s, a month at on-demand list prices:\n\n", st.Bold("estimate:"), service, e.Variant, e.Region)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, l := range e.Lines {
		amount := fmt.Sprintf("$%.2f", l.Monthly)
		if l.Unknown {
			amount = "unknown"
		} else if l.NotBerths {
			amount = "not berth's"
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
	// the environment's network and load balancer are counted whole, as if the service
	// were alone in it: said so, for the plan of a deploy counts them once per environment
	rest := "a month before traffic, with the environment's network and load balancer as if the service were alone in it"
	if !e.Complete {
		rest += " and the lines marked unknown"
	}
	fmt.Fprintf(tw, "  %s\t%s\t%s\n", st.Bold("total"), st.Bold(fmt.Sprintf("$%.2f", e.Total)), rest)
	tw.Flush()
	fmt.Fprintf(w, "\n%s\n", SharingText(e, 0))

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
		PricesSource, PricesDate)
	if !e.PricesChecked {
		fmt.Fprintf(w, "%s the %s figures were not checked against a published source when they were compiled.\n", st.Yellow("warning:"), e.Region)
	}
	fmt.Fprintln(w, "Check the AWS Pricing Calculator before a decision that turns on a few dollars.")
}

// SharingText says what the load balancer costs against one per service: shared by
// services services of the environment (0 when not known: per service, as the
// estimate counts it).
func SharingText(e *Estimate, services int) string {
	each := fmt.Sprintf("$%.2f a month with its addresses", e.LoadBalancer)
	if e.Internal {
		each = fmt.Sprintf("$%.2f a month; internal, behind CloudFront, it has no public address", e.LoadBalancer)
	}
	if !e.Shared {
		return fmt.Sprintf("The load balancer (%s) is the service's own (load_balancer.dedicated: true): on the environment's, which its services share, it is paid once for all of them.", each)
	}
	if services < 2 {
		return fmt.Sprintf("The load balancer (%s) is the environment's: every further service on it adds none of it, where one per service (load_balancer.dedicated: true) would add %s each.", each, fmt.Sprintf("$%.2f", e.LoadBalancer))
	}
	return fmt.Sprintf("The load balancer (%s) is shared by the environment's %d services: one per service would cost $%.2f, $%.2f more.",
		each, services, e.LoadBalancer*float64(services), e.LoadBalancer*float64(services-1))
}

func dollars(d float64) string {
	if d < 0 {
		return fmt.Sprintf("-$%.2f", -d)
	}
	return fmt.Sprintf("+$%.2f", d)
}
