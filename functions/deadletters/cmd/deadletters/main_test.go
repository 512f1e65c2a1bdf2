package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/buytickets/buytickets/shared/testenv"
)

// runMainEnv makes the test binary run main instead of the tests, so a test
// can watch the real process start and stop.
const runMainEnv = "DEADLETTERS_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	testenv.Main(m)
}

func TestAMissingProjectStopsTheStartWithOneLine(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = []string{runMainEnv + "=1"}
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("exit %v, want status 1", err)
	}
	want := "deadletters: config: missing required setting GOOGLE_CLOUD_PROJECT\n"
	if stderr.String() != want || stdout.Len() > 0 {
		t.Errorf("stderr %q, stdout %q; want stderr %q only", stderr.String(), stdout.String(), want)
	}
}

func TestServesOnFirestoreUntilCancelled(t *testing.T) {
	host := testenv.FirestoreEmulator(t)
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PORT", fmt.Sprint(port))
	t.Setenv("GOOGLE_CLOUD_PROJECT", testenv.UniqueID("deadletters-main"))
	t.Setenv("FIRESTORE_DATABASE", "deadletters")
	t.Setenv("FIRESTORE_EMULATOR_HOST", host)
	t.Setenv("LOG_LEVEL", "error")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- realMain(ctx) }()

	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-done:
			t.Fatalf("realMain returned before serving: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("not healthy after 30s")
		}
	}

	// One dead letter, as the Broker hands it over, into Firestore.
	req, err := http.NewRequest(http.MethodPost, base+"/events", strings.NewReader(`{"id":"order-1"}`))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"Content-Type": "application/json", "Ce-Specversion": "1.0", "Ce-Id": "e1",
		"Ce-Source": "/functions/orders", "Ce-Type": "dev.buytickets.order.created",
		"Ce-Knativeerrorcode": "500", "Ce-Knativeerrordest": "http://tickets.buytickets.svc.cluster.local/events",
	} {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("dead letter: %d, want 200", res.StatusCode)
	}
	res, err = http.Get(base + "/deadletters")
	if err != nil {
		t.Fatal(err)
	}
	var page []struct {
		EventID string `json:"eventId"`
	}
	err = json.NewDecoder(res.Body).Decode(&page)
	res.Body.Close()
	if err != nil || len(page) != 1 || page[0].EventID != "e1" {
		t.Errorf("listing %+v (%v), want the dead letter e1", page, err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("realMain after cancel: %v, want nil", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("realMain did not return after cancel")
	}
}
