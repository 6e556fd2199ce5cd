package deploy

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/berthdev/berth/internal/hint"
	"github.com/berthdev/berth/internal/manifest"
)

// alarmNotes are what the plan says about where the service's alarms go (alarms.notify),
// and the refusal, before anything changes, of a topic the alarms could not publish to:
// CloudWatch publishes to topics of the alarm's own region only ("Invalid region X
// specified. Only Y is supported.", cds-snc/notification-terraform#128).
func alarmNotes(m *manifest.Manifest, account, region string) ([]string, error) {
	a := m.Alarms
	if !a.On {
		return nil, nil
	}
	n := a.Notify
	var notes []string
	if !n.Any() {
		notes = append(notes, "alarms: nobody is notified (alarms.notify is empty); the alarms show in the CloudWatch console")
	}
	if len(n.Emails) > 0 {
		// SNS sends each address a mail with a link and delivers nothing to it before the
		// link is followed ("Subscribe", Amazon SNS API Reference)
		notes = append(notes, fmt.Sprintf("alarms: email subscriptions must be confirmed from the mail AWS sends to %s (once each; no alarm reaches an address before)",
			strings.Join(n.Emails, ", ")))
	}
	if len(n.HTTPS) > 0 {
		notes = append(notes, "alarms: SNS first posts a SubscriptionConfirmation to "+strings.Join(n.HTTPS, ", ")+
			"; the endpoint must visit its SubscribeURL before alarms are delivered")
	}
	for _, t := range n.Topics {
		x, err := arn.Parse(t)
		if err != nil {
			continue // the manifest checked its shape
		}
		if x.Region != region {
			return nil, hint.Wrap(&manifest.Error{File: m.File, Line: m.Line("alarms.notify"), Key: "alarms.notify",
				Msg: fmt.Sprintf("the topic %s is in %s and the service deploys to %s: CloudWatch alarms publish to topics of their own region", t, x.Region, region)},
				"create a topic in "+region+" (aws sns create-topic --region "+region+" --name ...), or list the addresses themselves and berth makes one")
		}
		if x.AccountID != account {
			notes = append(notes, fmt.Sprintf("alarms: the topic %s is in account %s: its access policy must let cloudwatch.amazonaws.com publish (and, if it is encrypted, its KMS key policy let CloudWatch use the key)", t, x.AccountID))
		}
	}
	return notes, nil
}
