package testenv

import (
	"fmt"
	"net"
	"os/exec"
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
	return standIn(tb, &cloudTasks, "cloud tasks emulator", func() (string, error) {
		return toolBinary(cloudTasksBinary, "the Cloud Tasks emulator")
	}, func(bin string, port int) *exec.Cmd {
		return exec.Command(bin, "-host", "127.0.0.1", "-port", fmt.Sprint(port))
	}, tcpReady)
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
