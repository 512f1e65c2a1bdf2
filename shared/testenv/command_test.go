package testenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"testing"
	"time"
)

func TestMain(m *testing.M) { MainOr(m, command) }

// command is the command that RunCommand runs in these tests: it writes
// its environment, a variable a line, if ENV=1, then STDOUT and STDERR, and
// exits with status EXIT, or returns without one.
func command() {
	if os.Getenv("ENV") == "1" {
		for _, kv := range os.Environ() {
			fmt.Println(kv)
		}
	}
	fmt.Fprint(os.Stdout, os.Getenv("STDOUT"))
	fmt.Fprint(os.Stderr, os.Getenv("STDERR"))
	if code, err := strconv.Atoi(os.Getenv("EXIT")); err == nil {
		os.Exit(code)
	}
}

func TestRunCommandRunsMainWithExactlyTheGivenEnvironment(t *testing.T) {
	t.Parallel()
	stdout, stderr, err := RunCommand(t, "ENV=1", "STDERR=to stderr")
	if err != nil {
		t.Fatalf("RunCommand: %v, want nil: main returned, so the command exits 0", err)
	}
	if want := commandEnv + "=1\nENV=1\nSTDERR=to stderr\n"; stdout != want {
		t.Errorf("stdout %q, want the environment %q", stdout, want)
	}
	if stderr != "to stderr" {
		t.Errorf("stderr %q, want %q", stderr, "to stderr")
	}
}

func TestRunCommandReturnsTheExitStatus(t *testing.T) {
	t.Parallel()
	_, _, err := RunCommand(t, "EXIT=3")
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Errorf("RunCommand: %v, want exit status 3", err)
	}
}

func TestRunCommandNeedsMainOr(t *testing.T) {
	// Not parallel: no other test runs while mainOr is false.
	mainOr = false
	defer func() { mainOr = true }()
	got := Record(t, func(tb testing.TB) { RunCommand(tb) })
	want := []string{"testenv: RunCommand needs TestMain to run the tests through testenv.MainOr"}
	if !slices.Equal(got, want) {
		t.Errorf("failures %q, want %q", got, want)
	}
}

func TestCommandFailsHoldsOnlyForStatus1WithTheOneLine(t *testing.T) {
	t.Parallel()
	const line = "cmd: config: missing required setting X\n"
	tests := []struct {
		name string
		env  []string
		want []string
	}{
		{"status 1 with the line", []string{"EXIT=1", "STDERR=" + line}, nil},
		{"status 0", []string{"STDERR=" + line}, []string{"exit <nil>, want status 1"}},
		{"status 2", []string{"EXIT=2", "STDERR=" + line}, []string{"exit exit status 2, want status 1"}},
		{"another line", []string{"EXIT=1", "STDERR=cmd: other\n"},
			[]string{fmt.Sprintf("stderr %q, stdout %q; want stderr %q only", "cmd: other\n", "", line)}},
		{"stdout too", []string{"EXIT=1", "STDERR=" + line, "STDOUT={}"},
			[]string{fmt.Sprintf("stderr %q, stdout %q; want stderr %q only", line, "{}", line)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Record(t, func(tb testing.TB) { CommandFails(tb, line, tc.env...) })
			if !slices.Equal(got, tc.want) {
				t.Errorf("failures %q, want %q", got, tc.want)
			}
		})
	}
}

func TestACommandServesOnPortUntilStopped(t *testing.T) {
	var url, port string
	var during, after error
	got := Record(t, func(tb testing.TB) {
		c := ServeCommand(tb, fakeMain{status: http.StatusOK}.run)
		url, port = c.URL, os.Getenv("PORT")
		during = getHealthz(c.URL)
		c.Stop()
		after = getHealthz(c.URL)
	})
	if len(got) > 0 {
		t.Fatalf("failures %q, want none", got)
	}
	if want := "http://127.0.0.1:" + port; url != want {
		t.Errorf("URL %q with PORT %q, want %q", url, port, want)
	}
	if during != nil {
		t.Errorf("GET /healthz while serving: %v", during)
	}
	if after == nil {
		t.Error("GET /healthz answered after Stop, want realMain returned")
	}
}

func TestACommandLeftServingIsStoppedAtCleanup(t *testing.T) {
	returned := make(chan error, 1)
	got := Record(t, func(tb testing.TB) {
		ServeCommand(tb, func(ctx context.Context) error {
			err := fakeMain{status: http.StatusOK}.run(ctx)
			returned <- err
			return err
		})
	})
	if len(got) > 0 {
		t.Errorf("failures %q, want none", got)
	}
	select {
	case <-returned:
	default:
		t.Error("realMain still runs after the cleanups")
	}
}

func TestWaitUntilReturnsOnceTheConditionHolds(t *testing.T) {
	polls := 0
	got := Record(t, func(tb testing.TB) {
		c := ServeCommand(tb, fakeMain{status: http.StatusOK}.run)
		c.WaitUntil("polled thrice", func() bool { polls++; return polls == 3 })
		c.Stop()
	})
	if len(got) > 0 || polls != 3 {
		t.Errorf("failures %q after %d polls, want none after 3", got, polls)
	}
}

func TestACommandThatMisbehavesFailsTheTest(t *testing.T) {
	const short = 300 * time.Millisecond
	tests := []struct {
		name string
		test func(tb testing.TB)
		want []string
	}{
		{"returns before serving", func(tb testing.TB) {
			ServeCommand(tb, func(context.Context) error { return errors.New("config: missing setting X") })
		}, []string{"realMain returned before serving: config: missing setting X"}},
		{"never healthy", func(tb testing.TB) {
			c := NewCommand(tb)
			c.within = short
			c.Serve(fakeMain{status: http.StatusServiceUnavailable}.run)
		}, []string{"not healthy after 300ms"}},
		{"returns while awaited", func(tb testing.TB) {
			quit := make(chan struct{})
			c := ServeCommand(tb, fakeMain{status: http.StatusOK, quit: quit}.run)
			close(quit)
			c.WaitUntil("relayed", func() bool { return false })
		}, []string{"realMain returned before relayed: <nil>"}},
		{"condition never holds", func(tb testing.TB) {
			c := NewCommand(tb)
			c.within = short
			c.Serve(fakeMain{status: http.StatusOK}.run)
			c.WaitUntil("relayed", func() bool { return false })
		}, []string{"not relayed after 300ms"}},
		{"does not return after cancel", func(tb testing.TB) {
			release := make(chan struct{})
			// Still hung when Stop runs again at cleanup: one failure only.
			tb.Cleanup(func() { close(release) })
			c := NewCommand(tb)
			c.stopWithin = short
			c.Serve(fakeMain{status: http.StatusOK, release: release}.run)
			c.Stop()
		}, []string{"realMain did not return after cancel"}},
		{"does not return after cancel at cleanup", func(tb testing.TB) {
			release := make(chan struct{})
			tb.Cleanup(func() { close(release) })
			c := NewCommand(tb)
			c.stopWithin = short
			c.Serve(fakeMain{status: http.StatusOK, release: release}.run)
		}, []string{"realMain did not return after cancel"}},
		{"returns an error after cancel", func(tb testing.TB) {
			ServeCommand(tb, fakeMain{status: http.StatusOK, err: errors.New("server.Serve: closed badly")}.run).Stop()
		}, []string{"realMain after cancel: server.Serve: closed badly, want nil"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Not parallel: each sets PORT.
			got := Record(t, tc.test)
			if !slices.Equal(got, tc.want) {
				t.Errorf("failures %q, want %q", got, tc.want)
			}
		})
	}
}

// fakeMain is a command's realMain: it serves GET /healthz on PORT,
// answering status, until its context is cancelled or quit is closed. After
// a cancel it waits for release, when set. It returns err.
type fakeMain struct {
	status  int
	quit    chan struct{}
	release chan struct{}
	err     error
}

func (f fakeMain) run(ctx context.Context) error {
	ln, err := net.Listen("tcp", "127.0.0.1:"+os.Getenv("PORT"))
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(f.status) })
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	defer srv.Close()
	select {
	case <-ctx.Done():
		if f.release != nil {
			<-f.release
		}
	case <-f.quit:
	}
	return f.err
}

func getHealthz(base string) error {
	res, err := http.Get(base + "/healthz")
	if err != nil {
		return err
	}
	return res.Body.Close()
}
