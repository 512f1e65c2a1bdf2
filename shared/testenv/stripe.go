package testenv

import (
	"fmt"
	"net/http"
	"os/exec"
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
	return "http://" + standIn(tb, &stripeMock, "stripe-mock", tool("stripe-mock", "stripe-mock"),
		func(bin string, port int) *exec.Cmd {
			// stripe-mock serves HTTPS too; a port of its own keeps it from
			// taking its default, which another stripe-mock may hold.
			return exec.Command(bin,
				fmt.Sprintf("-http-addr=127.0.0.1:%d", port),
				fmt.Sprintf("-https-addr=127.0.0.1:%d", secondPort(port)))
		}, stripeMockReady)
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
