package testenv

import (
	"fmt"
	"net"
	"os/exec"
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
