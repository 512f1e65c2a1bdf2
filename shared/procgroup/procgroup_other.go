//go:build unix && !linux

package procgroup

import (
	"os/exec"
	"syscall"
)

// Set makes cmd, once started, the leader of a new process group. Unlike
// on Linux, the group outlives a parent that dies without calling Kill. It
// replaces cmd.SysProcAttr.
func Set(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}
