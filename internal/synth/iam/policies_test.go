package iam

import (
	"testing"

	"github.com/berthdev/berth/internal/cfn"
)

// Intrinsics count at their longest: ${AWS::Region} as the longest region code, a
// reference to another resource as the longest ARN IAM takes.
func TestPolicySizeCountsIntrinsicsAtTheirLongest(t *testing.T) {
	doc := map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect": "Allow", "Action": "s3:GetObject",
		"Resource": []any{cfn.Sub("arn:${AWS::Partition}:s3:::b/${AWS::Region}"), cfn.GetAtt("Bucket.Arn"), cfn.Text("a\"${x}")},
	}}}
	got, err := policySize(doc)
	if err != nil {
		t.Fatal(err)
	}
	plain := `{"Statement":[{"Action":"s3:GetObject","Effect":"Allow","Resource":["arn::s3:::b/","","a\"${x}"]}],"Version":"2012-10-17"}`
	if want := len(plain) + maxPartition + maxRegion + maxARN; got != want {
		t.Errorf("size %d, want %d", got, want)
	}
}
