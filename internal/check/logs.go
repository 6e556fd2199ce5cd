package check

import (
	"github.com/berthdev/berth/internal/cfn"
)

func logRetention(d *cfn.Doc) []Result {
	var out []Result
	for _, name := range ofType(d, "AWS::Logs::LogGroup") {
		if d.Resources[name].Properties["RetentionInDays"] != nil {
			out = append(out, pass(name))
		} else {
			out = append(out, fail(name, "no RetentionInDays: logs are kept, and billed, forever"))
		}
	}
	return out
}
