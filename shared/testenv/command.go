package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// A command's tests watch it start in two ways: as a process, by running
// the test binary again as the command (MainOr, RunCommand, CommandFails),
// and in the test binary, by serving its realMain on a port of its own
// (ServeCommand, or NewCommand and Serve).

// commandEnv, set to 1, makes a test binary run its command's main instead
// of its tests.
const commandEnv = "TESTENV_RUN_COMMAND"

// mainOr records that TestMain runs the tests through MainOr, without which
// RunCommand would start a binary that runs no tests and no command.
var mainOr bool

// MainOr runs main, and exits 0 should main return, when the test binary
// was started by RunCommand; otherwise it runs the tests through Main. A
// command's tests use it as their TestMain:
//
//	func TestMain(m *testing.M) { testenv.MainOr(m, main) }
func MainOr(m *testing.M, main func()) {
	if os.Getenv(commandEnv) == "1" {
		main()
		os.Exit(0)
	}
	mainOr = true
	Main(m)
}

// RunCommand runs the test binary again as the command, that is MainOr's
// main, with exactly env as its environment, and returns what it wrote. err
// is that of exec.Cmd.Run: an *exec.ExitError when it exits non-zero.
func RunCommand(tb testing.TB, env ...string) (stdout, stderr string, err error) {
	tb.Helper()
	if !mainOr {
		tb.Fatal("testenv: RunCommand needs TestMain to run the tests through testenv.MainOr")
	}
	// -test.run=^$: were the marker lost, the binary would run no tests.
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append([]string{commandEnv + "=1"}, env...)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// CommandFails runs the command as RunCommand does and fails tb unless it
// exits with status 1 having written exactly stderr to stderr and nothing
// to stdout: the one line with which a command refuses to start.
func CommandFails(tb testing.TB, stderr string, env ...string) {
	tb.Helper()
	gotOut, gotErr, err := RunCommand(tb, env...)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		tb.Fatalf("exit %v, want status 1", err)
	}
	if gotErr != stderr || gotOut != "" {
		tb.Errorf("stderr %q, stdout %q; want stderr %q only", gotErr, gotOut, stderr)
	}
}

// Command is a command's realMain served in the test binary, on a port of
// its own, until its test stops it.
type Command struct {
	// URL is where the command serves: http://127.0.0.1:PORT.
	URL string

	tb         testing.TB
	addr       string
	within     time.Duration // to get healthy, or to meet WaitUntil's condition
	stopWithin time.Duration // to return after Stop
	cancel     context.CancelFunc
	done       chan error
	exited     bool // realMain's return was taken from done
	stopped    bool
}

// NewCommand picks a free loopback port and sets PORT to it for tb, so that
// a command that Serve starts later serves on the returned Command's URL.
// A test needs it only to use the URL in a setting; ServeCommand does both.
func NewCommand(tb testing.TB) *Command {
	tb.Helper()
	port, err := FreePort()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Setenv("PORT", fmt.Sprint(port))
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	return &Command{
		URL: "http://" + addr, tb: tb, addr: addr,
		within: 30 * time.Second, stopWithin: 15 * time.Second,
	}
}

// ServeCommand is NewCommand followed by Serve.
func ServeCommand(tb testing.TB, realMain func(context.Context) error) *Command {
	tb.Helper()
	c := NewCommand(tb)
	c.Serve(realMain)
	return c
}

// Serve runs realMain, with the environment tb has set, until Stop, and
// returns once GET /healthz answers 200. It fails tb if realMain returns
// first or is not healthy within 30 s. Stop runs at tb's cleanup if the
// test did not call it. Serve is called once.
func (c *Command) Serve(realMain func(context.Context) error) {
	c.tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel, c.done = cancel, make(chan error, 1)
	c.tb.Cleanup(c.Stop)
	go func() { c.done <- realMain(ctx) }()
	healthy := httpReady("/healthz")
	c.waitUntil(func() bool { return healthy(c.addr) }, "serving", "healthy")
}

// WaitUntil polls ok until it holds, and fails tb if realMain returns
// first or ok does not hold within 30 s.
func (c *Command) WaitUntil(what string, ok func() bool) {
	c.tb.Helper()
	c.waitUntil(ok, what, what)
}

func (c *Command) waitUntil(ok func() bool, before, what string) {
	c.tb.Helper()
	deadline := time.Now().Add(c.within)
	for !ok() {
		select {
		case err := <-c.done:
			c.exited = true
			c.tb.Fatalf("realMain returned before %s: %v", before, err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			c.tb.Fatalf("not %s after %v", what, c.within)
		}
	}
}

// Stop cancels realMain's context and fails tb unless realMain returns nil
// within 15 s. It does nothing after the first call, or when realMain has
// already returned.
func (c *Command) Stop() {
	c.tb.Helper()
	if c.cancel == nil || c.stopped {
		return
	}
	c.stopped = true
	c.cancel()
	if c.exited {
		return
	}
	select {
	case err := <-c.done:
		c.exited = true
		if err != nil {
			c.tb.Errorf("realMain after cancel: %v, want nil", err)
		}
	case <-time.After(c.stopWithin):
		c.tb.Fatal("realMain did not return after cancel")
	}
}
