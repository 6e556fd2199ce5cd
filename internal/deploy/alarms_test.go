package deploy

import (
	"errors"
	"strings"
	"testing"

	"github.com/berthdev/berth/internal/hint"
	"github.com/berthdev/berth/internal/manifest"
)

// What the plan says about where the alarms go, and a topic of another region refused
// before anything changes (CloudWatch publishes to topics of the alarm's region only).
func TestAlarmNotes(t *testing.T) {
	for _, tc := range []struct {
		src   string
		notes []string
		err   string
	}{
		{"name: web\n", nil, ""},
		{"name: web\nalarms: {}\n", []string{"alarms: nobody is notified (alarms.notify is empty); the alarms show in the CloudWatch console"}, ""},
		{"name: web\nalarms:\n  notify: [ops@example.com, dev@example.com, https://hooks.example.com/berth]\n", []string{
			"alarms: email subscriptions must be confirmed from the mail AWS sends to ops@example.com, dev@example.com (once each; no alarm reaches an address before)",
			"alarms: SNS first posts a SubscriptionConfirmation to https://hooks.example.com/berth; the endpoint must visit its SubscribeURL before alarms are delivered"}, ""},
		{"name: web\nalarms:\n  notify: arn:aws:sns:us-east-1:123456789012:oncall\n", nil, ""},
		{"name: web\nalarms:\n  notify: arn:aws:sns:us-east-1:210987654321:oncall\n", []string{
			"alarms: the topic arn:aws:sns:us-east-1:210987654321:oncall is in account 210987654321: its access policy must let cloudwatch.amazonaws.com publish (and, if it is encrypted, its KMS key policy let CloudWatch use the key)"}, ""},
		{"name: web\nalarms:\n  notify:\n    - ops@example.com\n    - arn:aws:sns:eu-west-1:123456789012:oncall\n", nil,
			"berth.yml:3: alarms.notify: the topic arn:aws:sns:eu-west-1:123456789012:oncall is in eu-west-1 and the service deploys to us-east-1: CloudWatch alarms publish to topics of their own region"},
	} {
		m, err := manifest.Parse([]byte(tc.src), "berth.yml")
		if err != nil {
			t.Fatal(err)
		}
		notes, err := alarmNotes(m, "123456789012", "us-east-1")
		if tc.err != "" {
			var h *hint.Error
			if err == nil || err.Error() != tc.err || !manifest.IsManifestError(err) || !errors.As(err, &h) || !strings.Contains(h.Hint(), "aws sns create-topic --region us-east-1") {
				t.Errorf("%q: %v, want %q with a hint", tc.src, err, tc.err)
			}
			continue
		}
		if err != nil || strings.Join(notes, "\n") != strings.Join(tc.notes, "\n") {
			t.Errorf("%q: %q %v\nwant %q", tc.src, notes, err, tc.notes)
		}
	}
}
