//go:build unix

// Package procgroup runs a child process in a process group of its own, so
// that stopping it also stops every process it started (the Firestore
// emulator's JVM under its launcher script, for one).
//
// What the kernel offers differs: on Linux the group's leader is also
// killed when its parent dies first (the parent-death signal), so a
// crashed test binary leaves nothing behind; other unixes (macOS) have no
// such signal, and only Kill stops the group.
package procgroup

import (
	"fmt"
	"os/exec"
	"syscall"
)

// Kill sends SIGKILL to the process group of cmd, which Set made cmd the
// leader of. It does nothing when cmd was never started.
func Kill(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("procgroup.Kill: %w", err)
	}
	return nil
}
