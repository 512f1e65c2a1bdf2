//go:build unix

package procgroup_test

import (
	"bufio"
	"io"
	"os/exec"
	"testing"
	"time"

	"github.com/buytickets/buytickets/shared/procgroup"
)

func TestKillStopsTheChildrenToo(t *testing.T) {
	t.Parallel()
	// The shell's child shares its output, which reaches its end only once
	// the child is gone as well as the shell.
	cmd := exec.Command("sh", "-c", "sleep 60 & echo started; wait")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	procgroup.Set(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewReader(out)
	if _, err := lines.ReadString('\n'); err != nil {
		t.Fatalf("the shell did not start its child: %v", err)
	}
	if err := procgroup.Kill(cmd); err != nil {
		t.Fatal(err)
	}
	closed := make(chan struct{})
	go func() {
		io.Copy(io.Discard, lines)
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(20 * time.Second):
		t.Fatal("the shell's child outlived Kill")
	}
	cmd.Wait()
}

func TestKillBeforeStartDoesNothing(t *testing.T) {
	t.Parallel()
	if err := procgroup.Kill(exec.Command("true")); err != nil {
		t.Fatalf("Kill of a command never started: %v", err)
	}
}
