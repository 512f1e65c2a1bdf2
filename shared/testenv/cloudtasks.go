package testenv

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// cloudTasksBinary is the Cloud Tasks emulator that `make tools` builds
// into tools/bin (github.com/aertje/cloud-tasks-emulator, pinned in
// tools/go.mod).
const cloudTasksBinary = "cloud-tasks-emulator"

// The Cloud Tasks emulator of this test binary, started on first use.
var cloudTasks *process

// CloudTasksEmulator returns the host:port of a Cloud Tasks emulator for
// this test binary, starting it on first use. It speaks gRPC without TLS
// and starts with no queue: tests create their own, one each, so they
// never see each other's tasks. The emulator remembers every task name it
// has seen until it stops, as Cloud Tasks does for about an hour, so tests
// name their tasks afresh (UniqueID).
func CloudTasksEmulator(tb testing.TB) string {
	tb.Helper()
	mu.Lock()
	defer mu.Unlock()
	if cloudTasks == nil {
		bin, err := cloudTasksEmulatorBinary()
		if err != nil {
			Unavailable(tb, err.Error())
		}
		p, err := startProcess("cloud tasks emulator", func(port int) *exec.Cmd {
			return exec.Command(bin, "-host", "127.0.0.1", "-port", fmt.Sprint(port))
		}, tcpReady)
		if err != nil {
			Unavailable(tb, err.Error())
		}
		cloudTasks = p
		started = append(started, p)
	}
	return cloudTasks.addr
}

// cloudTasksEmulatorBinary finds the emulator on PATH (`make test` puts
// tools/bin there), then in tools/bin of the repository that holds the
// working directory.
func cloudTasksEmulatorBinary() (string, error) {
	if bin, err := exec.LookPath(cloudTasksBinary); err == nil {
		return bin, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("testenv: %w", err)
	}
	for {
		if fileExists(filepath.Join(dir, "go.work")) {
			bin := filepath.Join(dir, "tools", "bin", cloudTasksBinary)
			if !fileExists(bin) {
				return "", fmt.Errorf("the Cloud Tasks emulator is not built: %s is missing (run make tools)", bin)
			}
			return bin, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("the Cloud Tasks emulator is not on PATH and no go.work was found above the working directory (run make tools)")
		}
		dir = parent
	}
}

// tcpReady reports whether addr accepts connections.
func tcpReady(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}
