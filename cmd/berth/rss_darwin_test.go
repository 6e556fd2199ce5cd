package main

import (
	"os"
	"syscall"
)

// peakRSS is a finished process's peak resident memory in bytes; macOS counts it in
// bytes already, unlike Linux.
func peakRSS(ps *os.ProcessState) (int64, bool) {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0, false
	}
	return ru.Maxrss, true
}
