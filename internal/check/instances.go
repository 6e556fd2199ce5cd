package check

import (
	"github.com/berthdev/berth/internal/cfn"
)

func imdsV2(d *cfn.Doc) []Result {
	var out []Result
	for _, name := range ofType(d, "AWS::EC2::LaunchTemplate") {
		tokens := path(d.Resources[name].Properties, "LaunchTemplateData", "MetadataOptions", "HttpTokens")
		if tokens == "required" {
			out = append(out, pass(name))
		} else {
			out = append(out, fail(name, "MetadataOptions.HttpTokens is %v: instances accept IMDSv1 (set required)", orUnset(tokens)))
		}
	}
	return out
}

func encryptedVolumes(d *cfn.Doc) []Result {
	var out []Result
	for _, name := range ofType(d, "AWS::EC2::LaunchTemplate", "AWS::EC2::Volume") {
		out = append(out, volumeEncryption(d, name))
	}
	return out
}

func volumeEncryption(d *cfn.Doc, name string) Result {
	props := d.Resources[name].Properties
	if d.Resources[name].Type == "AWS::EC2::Volume" {
		if isTrue(props["Encrypted"]) {
			return pass(name)
		}
		return fail(name, "Encrypted is %v (set true)", orUnset(props["Encrypted"]))
	}
	mappings := list(path(props, "LaunchTemplateData", "BlockDeviceMappings"))
	if len(mappings) == 0 {
		return fail(name, "no BlockDeviceMappings: the root volume's encryption is left to the account default (declare it with Ebs.Encrypted: true)")
	}
	for _, bd := range mappings {
		if ebs := path(bd, "Ebs"); ebs != nil && !isTrue(path(ebs, "Encrypted")) {
			return fail(name, "%v is not encrypted (set Ebs.Encrypted: true)", path(bd, "DeviceName"))
		}
	}
	return pass(name)
}
