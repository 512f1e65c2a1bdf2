package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMakeRunServesAndStopsOnInterrupt runs the command as `make run` does:
// it prints where it listens, serves the API there, keeps its data in
// DATA_DIR, and exits cleanly on Ctrl-C.
func TestMakeRunServesAndStopsOnInterrupt(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "buytickets")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	data := t.TempDir()

	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), fmt.Sprintf("PORT=%d", port), "DATA_DIR="+data, "LOG_LEVEL=error", "JWT_KEY=")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() {
		t.Fatalf("no output: %v", lines.Err())
	}
	want := fmt.Sprintf("http://localhost:%d", port)
	if !strings.Contains(lines.Text(), want) {
		t.Fatalf("first line %q does not say it runs on %s", lines.Text(), want)
	}

	resp, err := http.Get(want + "/api/users/currentuser")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != `{"currentUser":null}` {
		t.Errorf("currentuser = %d %s", resp.StatusCode, body)
	}
	for _, f := range []string{"auth.db", "jwt.key"} {
		if _, err := os.Stat(filepath.Join(data, f)); err != nil {
			t.Errorf("DATA_DIR lacks %s: %v", f, err)
		}
	}

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, stdout)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after Ctrl-C: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("still running 30s after Ctrl-C")
	}
}
