package manifest

import (
	"path/filepath"
	"strings"
	"testing"
)

// A statement's resource is * or an ARN of the shape
// arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE (reference-arns.html), wildcards
// allowed in every segment but the service's, a trailing one standing for the
// segments after it (reference_policies_elements_resource.html); IAM takes policy
// documents of tab, line feed, carriage return and U+0020-U+00FF only
// (reference_iam-quotas.html). Each refusal names the line of the value.
func TestResourceShapeAndPolicyCharacters(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"too few segments", "permissions:\n  - allow: [s3:GetObject]\n    resources:\n      - arn:aws:s3:::b/*\n      - arn:aws:s3\n",
			`berth.yml:6: permissions[0].resources: "arn:aws:s3" is not an ARN of the shape arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`},
		{"empty resource", "permissions:\n  - allow: [s3:GetObject]\n    resources: ['arn:aws:s3:::']\n", `"arn:aws:s3:::" is not an ARN of the shape`},
		{"wildcard service", "permissions:\n  - allow: [s3:GetObject]\n    resources: ['arn:aws:*:us-east-1:111122223333:x']\n", `"arn:aws:*:us-east-1:111122223333:x" is not an ARN of the shape`},
		{"not a partition", "permissions:\n  - allow: [s3:GetObject]\n    resources: ['arn:azure:s3:::b']\n", `"arn:azure:s3:::b" is not an ARN of the shape`},
		{"short account", "permissions:\n  - allow: [sqs:SendMessage]\n    resources: ['arn:aws:sqs:us-east-1:1111:q']\n", `"arn:aws:sqs:us-east-1:1111:q" is not an ARN of the shape`},
		{"upper-case region", "permissions:\n  - allow: [sqs:SendMessage]\n    resources: ['arn:aws:sqs:US-EAST-1:111122223333:q']\n", `is not an ARN of the shape`},
		{"not an arn", "permissions:\n  - allow: [s3:GetObject]\n    resources: [orders-uploads]\n", `berth.yml:4: permissions[0].resources: "orders-uploads" is not an ARN`},
		{"euro sign", "permissions:\n  - allow: [s3:GetObject]\n    resources: ['arn:aws:s3:::b/€/*']\n",
			`berth.yml:4: permissions[0].resources: '€' cannot be in an IAM policy, which takes tab, line feed, carriage return and U+0020-U+00FF only`},
		{"bidi in a condition", "permissions:\n  - allow: [s3:GetObject]\n    resources: ['*']\n    conditions:\n      StringEquals:\n        aws:PrincipalTag/team:\n          - ops\n          - \"ops\\u202e\"\n",
			`berth.yml:9: permissions[0].conditions.StringEquals.aws:PrincipalTag/team: '\u202e' cannot be in an IAM policy`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte("name: a\n"+tc.src), filepath.Join(t.TempDir(), "berth.yml"))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v\nwant %q", err, tc.want)
			}
		})
	}
	ok := "permissions:\n  - allow: [s3:GetObject, logs:PutLogEvents, sqs:SendMessage, dynamodb:Query]\n    resources:\n" +
		"      - arn:aws:s3:::orders uploads/${aws:username}/*\n      - arn:aws:s3:::café/*\n      - arn:aws:logs:*:*:*\n" +
		"      - arn:aws:sqs:*\n      - arn:aws-cn:sqs:cn-north-1:111122223333:q\n      - arn:aws:dynamodb:us-east-1:111122223333:table/t/index/*\n" +
		"      - arn:aws:sqs:us-east-?:111122223333:q\n      - arn:aws:iam::aws:policy/x\n"
	if _, err := Parse([]byte("name: a\n"+ok), "berth.yml"); err != nil {
		t.Error(err)
	}
}
