package localtls

import (
	"fmt"
	"os"
	"runtime"
)

// UnsafeDirError says a directory berth keeps its state or keys in can be written by
// other users, who could then plant a record or a certificate berth would believe.
type UnsafeDirError struct {
	Dir  string
	What string // "control directory", "TLS directory"
	Why  string
	Env  string // the variable that moves it
}

func (e *UnsafeDirError) Error() string {
	return fmt.Sprintf("%s %s %s: berth keeps its state and keys only where no other user can write", e.What, e.Dir, e.Why)
}

// Hint tells the user what to do.
func (e *UnsafeDirError) Hint() string {
	return fmt.Sprintf("chmod go-w %s (berth makes it 0700), or set %s to a directory of your own", e.Dir, e.Env)
}

// CheckPrivate refuses a directory that every user may write to, or that another user
// owns: a record, a lock or a key there could be someone else's. On Windows, whose
// access lists os.FileMode does not show, it checks nothing.
func CheckPrivate(dir, what, env string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	info, err := os.Stat(dir)
	if err != nil {
		return err
	}
	switch {
	case info.Mode().Perm()&0o002 != 0:
		return &UnsafeDirError{Dir: dir, What: what, Why: fmt.Sprintf("is writable by every user (mode %04o)", info.Mode().Perm()), Env: env}
	case owner(info) >= 0 && owner(info) != os.Geteuid():
		return &UnsafeDirError{Dir: dir, What: what, Why: fmt.Sprintf("belongs to another user (uid %d)", owner(info)), Env: env}
	}
	return nil
}
