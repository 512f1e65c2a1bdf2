package testenv

import (
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestAStandInWhosePortWasTakenStartsOnAnotherPort(t *testing.T) {
	var ports []int
	p, err := startProcess("stand-in", func(port int) *exec.Cmd {
		ports = append(ports, port)
		if len(ports) == 1 {
			return exec.Command("sh", "-c", "echo 'java.net.BindException: Address already in use'; exit 1")
		}
		return exec.Command("sleep", "30")
	}, func(addr string) bool { return len(ports) == 2 })
	if err != nil {
		t.Fatalf("startProcess: %v", err)
	}
	defer p.stop()
	if len(ports) != 2 {
		t.Fatalf("started %d times, want 2", len(ports))
	}
	if want := fmt.Sprintf("127.0.0.1:%d", ports[1]); p.addr != want {
		t.Errorf("addr = %s, want the second port %s", p.addr, want)
	}
}

func TestAStandInThatFailsForAnotherReasonIsNotRestarted(t *testing.T) {
	starts := 0
	_, err := startProcess("stand-in", func(port int) *exec.Cmd {
		starts++
		return exec.Command("sh", "-c", "echo 'no such flag'; exit 2")
	}, func(addr string) bool { return false })
	if err == nil || !strings.Contains(err.Error(), "no such flag") {
		t.Fatalf("err = %v, want the stand-in's own output", err)
	}
	if starts != 1 {
		t.Errorf("started %d times, want 1", starts)
	}
}

func TestAStandInWhosePortsAreAlwaysTakenGivesUp(t *testing.T) {
	starts := 0
	_, err := startProcess("stand-in", func(port int) *exec.Cmd {
		starts++
		return exec.Command("sh", "-c", "echo 'listen tcp: bind: address already in use'; exit 1")
	}, func(addr string) bool { return false })
	if err == nil {
		t.Fatal("startProcess succeeded with every port taken")
	}
	if starts != 5 {
		t.Errorf("started %d times, want 5", starts)
	}
}

func TestFreePortCanBeListenedOn(t *testing.T) {
	for range 20 {
		port, err := FreePort()
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			t.Fatalf("listen on the free port %d: %v", port, err)
		}
		ln.Close()
		if low, ok := ephemeralLow(); ok && low > 11000 && port >= low {
			t.Errorf("port %d is in the ephemeral range from %d", port, low)
		}
	}
}

func TestAStandInStartsOnFirstUseOnly(t *testing.T) {
	var p *process
	finds, starts := 0, 0
	find := func() (string, error) { finds++; return "sleep", nil }
	command := func(path string, port int) *exec.Cmd { starts++; return exec.Command(path, "30") }
	first := standIn(t, &p, "stand-in", find, command, func(string) bool { return true })
	t.Cleanup(func() { p.stop() })
	if again := standIn(t, &p, "stand-in", find, command, func(string) bool { return true }); again != first {
		t.Errorf("second use at %s, want the first's %s", again, first)
	}
	if finds != 1 || starts != 1 {
		t.Errorf("found %d and started %d times, want once each", finds, starts)
	}
}

func TestAStandInThatCannotBeFoundIsUnavailable(t *testing.T) {
	t.Setenv("CI", "true")
	var p *process
	failures := Record(t, func(tb testing.TB) {
		standIn(tb, &p, "stand-in", func() (string, error) { return "", errors.New("not installed") }, nil, nil)
	})
	if len(failures) != 1 || !strings.Contains(failures[0], "not installed") || p != nil {
		t.Errorf("failures %q and stand-in %v, want one failure saying why and none started", failures, p)
	}
}

func TestToolBinaryLooksInToolsBinOfTheRepository(t *testing.T) {
	repo := t.TempDir()
	for _, f := range []string{"go.work", "tools/bin/some-tool"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(repo, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(repo, f), nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	deep := filepath.Join(repo, "functions", "orders")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(deep)
	if bin, err := toolBinary("some-tool", "some tool"); err != nil || bin != filepath.Join(repo, "tools/bin/some-tool") {
		t.Errorf("toolBinary = %q, %v; want the repository's tools/bin/some-tool", bin, err)
	}
	if _, err := toolBinary("other-tool", "the other tool"); err == nil || !strings.Contains(err.Error(), "the other tool is not built") {
		t.Errorf("a missing tool: err = %v, want it named as not built", err)
	}
}

func TestMailpitKeepsWhatItsSMTPServerTakes(t *testing.T) {
	t.Parallel()
	m := StartMailpit(t)
	to := UniqueID("reader") + "@example.com"
	msg := "From: shop@example.com\r\nTo: " + to + "\r\nSubject: Hello\r\n\r\nA ticket.\r\n"
	if err := smtp.SendMail(m.SMTP, nil, "shop@example.com", []string{to}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	list := m.To(t, to)
	if len(list) != 1 || list[0].Subject != "Hello" {
		t.Fatalf("mailpit holds %+v for %s", list, to)
	}
	if got := m.Read(t, list[0].ID); got.Text != "A ticket.\r\n" && got.Text != "A ticket.\n" && got.Text != "A ticket." {
		t.Errorf("text %q", got.Text)
	}
	if len(m.To(t, "someone-else-"+to)) != 0 {
		t.Error("another address has mail")
	}
}
