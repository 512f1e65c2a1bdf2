package testenv

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// StripeMockKey is a secret key stripe-mock accepts: it checks only that a
// key has the form of one.
const StripeMockKey = "sk_test_stripemock"

// stripeMock is this test binary's stripe-mock, started on first use.
var stripeMock *process

// StripeMock returns the base URL (http://127.0.0.1:port) of a stripe-mock
// for this test binary, starting it on first use on free HTTP and HTTPS
// ports. stripe-mock answers every request from Stripe's OpenAPI fixtures
// and keeps no state, so tests share it. Without the binary (make tools
// builds it into tools/bin) the test is skipped, or fails under CI=true.
func StripeMock(tb testing.TB) string {
	tb.Helper()
	mu.Lock()
	defer mu.Unlock()
	if stripeMock == nil {
		bin, err := stripeMockBinary()
		if err != nil {
			Unavailable(tb, err.Error())
		}
		p, err := startProcess("stripe-mock", func(port int) *exec.Cmd {
			// stripe-mock serves HTTPS too; a port of its own keeps it from
			// taking its default, which another stripe-mock may hold.
			https, err := FreePort()
			if err != nil {
				https = 0
			}
			return exec.Command(bin,
				fmt.Sprintf("-http-addr=127.0.0.1:%d", port),
				fmt.Sprintf("-https-addr=127.0.0.1:%d", https))
		}, stripeMockReady)
		if err != nil {
			Unavailable(tb, err.Error())
		}
		stripeMock = p
		started = append(started, p)
	}
	return "http://" + stripeMock.addr
}

// stripeMockBinary finds stripe-mock on PATH (make test puts tools/bin
// there), then in tools/bin of the repository the working directory is in.
func stripeMockBinary() (string, error) {
	if bin, err := exec.LookPath("stripe-mock"); err == nil {
		return bin, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("testenv: stripe-mock: %w", err)
	}
	for {
		if fileExists(filepath.Join(dir, "go.work")) {
			bin := filepath.Join(dir, "tools", "bin", "stripe-mock")
			if !fileExists(bin) {
				return "", fmt.Errorf("stripe-mock is not built: run make tools (looked for %s and on PATH)", bin)
			}
			return bin, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("stripe-mock is not on PATH and no go.work is above the working directory: run make tools")
		}
		dir = parent
	}
}

// stripeMockReady reports whether stripe-mock answers an authenticated
// request at addr: its version header tells it from another server that
// may have taken the port.
func stripeMockReady(addr string) bool {
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/v1/charges", nil)
	if err != nil {
		return false
	}
	req.Header.Set("Authorization", "Bearer "+StripeMockKey)
	client := &http.Client{Timeout: time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK && resp.Header.Get("Stripe-Mock-Version") != ""
}
