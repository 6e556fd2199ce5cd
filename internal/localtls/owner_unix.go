//go:build !windows

package localtls

import (
	"os"
	"syscall"
)

// owner is the user id that owns a file, -1 when the system does not say.
func owner(info os.FileInfo) int {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid)
	}
	return -1
}
