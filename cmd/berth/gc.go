package main

import (
	"os"
	"runtime/debug"
)

// quick are the commands that read a manifest or templates, write a few files and end
// within milliseconds, calling neither AWS nor Docker. Their whole heap is a few
// megabytes, which the operating system takes back at exit: a garbage collection
// during one of them (the first comes at 4 MB) is work that frees nothing anybody
// uses, and it starts a thread per core to do it.
var quick = map[string]bool{
	"version": true, "synth": true, "check": true, "cost": true, "init": true, "iam-policy": true,
}

// quickLimit is the heap at which a quick command collects after all, so that a
// manifest that makes one allocate far beyond the usual does not take the machine's
// memory with it.
const quickLimit = 512 << 20

// collectLess turns the collector off up to quickLimit for a quick command (args are
// the command line without the program's name). A GOGC or GOMEMLIMIT the user set
// wins: whoever set one meant it.
func collectLess(args []string) {
	if len(args) == 0 || !quick[args[0]] {
		return
	}
	if _, set := os.LookupEnv("GOGC"); set {
		return
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); set {
		return
	}
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(quickLimit)
}
