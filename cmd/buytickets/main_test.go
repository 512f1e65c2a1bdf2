package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/buytickets/buytickets/shared/testenv"
)

// TestMakeRunServesAndStopsOnInterrupt runs the command as `make run` does:
// it prints where it listens, serves the API there, keeps its data in
// DATA_DIR, and exits cleanly on Ctrl-C.
func TestMakeRunServesAndStopsOnInterrupt(t *testing.T) {
	data := t.TempDir()
	p := runCommand(t, buildCommand(t), data)

	resp, err := http.Get(p.url + "/api/users/currentuser")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != `{"currentUser":null}` {
		t.Errorf("currentuser = %d %s", resp.StatusCode, body)
	}
	for _, f := range []string{"auth.db", "jwt.key", "mail/mailpit.db"} {
		if _, err := os.Stat(filepath.Join(data, f)); err != nil {
			t.Errorf("DATA_DIR lacks %s: %v", f, err)
		}
	}
	// The banner's second line says where the emails can be read.
	if !strings.HasPrefix(p.mail, "http://127.0.0.1:") {
		t.Fatalf("banner names no mailbox, got %q", p.mail)
	}
	mailbox, err := http.Get(p.mail + "/api/v1/messages")
	if err != nil {
		t.Fatal(err)
	}
	mailbox.Body.Close()
	if mailbox.StatusCode != http.StatusOK {
		t.Errorf("mailbox at %s answered %s", p.mail, mailbox.Status)
	}

	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
		if p.err != nil {
			t.Errorf("exit after Ctrl-C: %v", p.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("still running 30s after Ctrl-C")
	}
}

func TestCookiesAreSecureWhenCookieInsecureIsFalse(t *testing.T) {
	bin := buildCommand(t)
	for _, tc := range []struct {
		env        []string
		wantSecure bool
	}{
		{nil, false},
		{[]string{"COOKIE_INSECURE=false"}, true},
	} {
		p := runCommand(t, bin, t.TempDir(), tc.env...)
		resp, err := http.Post(p.url+"/api/users/signup", "application/json",
			strings.NewReader(`{"email":"ada@example.com","password":"correct horse"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		cookies := resp.Cookies()
		if resp.StatusCode != http.StatusCreated || len(cookies) != 2 {
			t.Fatalf("%v: signup answered %d with cookies %v", tc.env, resp.StatusCode, cookies)
		}
		for _, c := range cookies {
			if c.Secure != tc.wantSecure {
				t.Errorf("%v: cookie %s Secure = %v, want %v", tc.env, c.Name, c.Secure, tc.wantSecure)
			}
		}
	}
}

// buildCommand builds the command into a folder of the test's and returns
// the binary's path.
func buildCommand(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "buytickets")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// process is the command running as make run runs it.
type process struct {
	cmd    *exec.Cmd
	url    string        // where it serves, from its banner
	mail   string        // where its mailbox is, from its banner; empty with SMTP_URL
	logs   string        // the file its stderr goes to
	exited chan struct{} // closed once it has exited; err says how
	err    error
}

// runCommand starts bin on a free port with its data in dataDir and
// returns once its banner says where it serves, which it prints once every
// function accepts requests. The test's end kills it if it still runs,
// and shows its logs if the test failed.
func runCommand(t *testing.T, bin, dataDir string, env ...string) *process {
	t.Helper()
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	p := &process{
		cmd:    exec.Command(bin),
		url:    fmt.Sprintf("http://127.0.0.1:%d", port), // loopback unless BIND_ADDR says otherwise
		logs:   filepath.Join(t.TempDir(), "stderr"),
		exited: make(chan struct{}),
	}
	p.cmd.Env = append(os.Environ(), fmt.Sprintf("PORT=%d", port), "DATA_DIR="+dataDir, "LOG_LEVEL=warn", "JWT_KEY=",
		"MAIL_UI_ADDR=127.0.0.1:0", // tests run side by side; make run's is 127.0.0.1:8025
		"RATE_LIMITS=off")          // tests sign many users up from one address; a test turns it on
	p.cmd.Env = append(p.cmd.Env, env...)
	logs, err := os.Create(p.logs)
	if err != nil {
		t.Fatal(err)
	}
	defer logs.Close()
	// A pipe of our own rather than StdoutPipe, so that reading the
	// banner and waiting for the process do not race.
	banner, stdout, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stdout, p.cmd.Stderr = stdout, logs
	err = p.cmd.Start()
	stdout.Close()
	if err != nil {
		banner.Close()
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.exited
		// Only now: a Go program writing to a pipe nobody reads dies of SIGPIPE.
		banner.Close()
		if t.Failed() {
			out, _ := os.ReadFile(p.logs)
			t.Logf("the command's logs on %s:\n%s", dataDir, tail(string(out), 60))
		}
	})

	lines := bufio.NewScanner(banner)
	if !lines.Scan() {
		t.Fatalf("no output: %v", lines.Err())
	}
	if !strings.Contains(lines.Text(), p.url) {
		t.Fatalf("first line %q does not say it runs on %s", lines.Text(), p.url)
	}
	if lines.Scan() {
		_, p.mail, _ = strings.Cut(lines.Text(), "mailbox at ")
		p.mail = strings.TrimSuffix(p.mail, ".")
	}
	go io.Copy(io.Discard, banner)
	return p
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func TestMakeRunLimitsSignInsPerAddressUnlessRateLimitsIsOff(t *testing.T) {
	bin := buildCommand(t)
	for _, tc := range []struct {
		env     string
		limited bool
	}{{"RATE_LIMITS=on", true}, {"RATE_LIMITS=off", false}} {
		p := runCommand(t, bin, t.TempDir(), tc.env)
		limited := false
		for i := range 15 {
			// Refused before any hash, so the budget has no time to refill.
			resp, err := http.Post(p.url+"/api/users/signin", "application/json",
				strings.NewReader(fmt.Sprintf(`{"email":"nobody%d"}`, i)))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusTooManyRequests {
				limited = resp.Header.Get("Retry-After") != ""
				break
			}
		}
		if limited != tc.limited {
			t.Errorf("%s: 15 sign-ins from one address limited = %v, want %v", tc.env, limited, tc.limited)
		}
	}
}
