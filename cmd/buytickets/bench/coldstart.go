package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// binary is a program whose cold start is measured: built from pkg, started
// with env.
type binary struct {
	name string
	pkg  string
	env  []string
}

// functionEnv is what function needs to start, followed by more; nothing
// is reached before the first request, so the addresses need not answer.
func functionEnv(function string, more ...string) []string {
	return append([]string{
		"JWT_KEY=" + string(bytes.Repeat([]byte("k"), 32)), "K_SINK=http://127.0.0.1:9",
		"GOOGLE_CLOUD_PROJECT=bench", "FIRESTORE_EMULATOR_HOST=127.0.0.1:9", "LOG_LEVEL=error",
		"EVENTS_ISSUER=http://127.0.0.1:9", "EVENTS_AUDIENCE=buytickets/" + function,
	}, more...)
}

// stripeEnv returns the settings pointing a function's Stripe client at an
// address that need not answer.
func stripeEnv() []string {
	return []string{"STRIPE_KEY=sk_test_bench", "STRIPE_API_BASE=http://127.0.0.1:9"}
}

// coldStarts builds each production function's binary and a hello-world
// server, starts each of them in turn runs times, and reports exec → first
// healthy answer, its ratio to hello-world's, and sizes.
func coldStarts(ctx context.Context, w *bytes.Buffer, root, tmp string, runs int) error {
	bins := []binary{
		{name: "hello-world Go server", pkg: "./cmd/buytickets/bench/hello"},
		{name: "auth", pkg: "./functions/auth/cmd/auth", env: functionEnv("auth")},
		{name: "tickets", pkg: "./functions/tickets/cmd/tickets", env: functionEnv("tickets")},
		{name: "orders", pkg: "./functions/orders/cmd/orders", env: functionEnv("orders")},
		{name: "expiration", pkg: "./functions/expiration/cmd/expiration", env: functionEnv("expiration",
			"EXPIRE_URL=http://127.0.0.1:9/tasks/expire", "TASKS_INVOKER_EMAIL=invoker@bench.iam.gserviceaccount.com",
			"CLOUD_TASKS_QUEUE=projects/bench/locations/here/queues/expiration", "CLOUD_TASKS_EMULATOR_HOST=127.0.0.1:9",
		)},
		{name: "payments", pkg: "./functions/payments/cmd/payments", env: functionEnv("payments", append(stripeEnv(),
			"STRIPE_PUBLISHABLE_KEY=pk_test_bench", "STRIPE_WEBHOOK_SECRET=whsec_bench")...)},
		{name: "etickets", pkg: "./functions/etickets/cmd/etickets", env: functionEnv("etickets",
			"ETICKET_SIGNING_KEY="+base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("s"), 32)))},
		{name: "notifications", pkg: "./functions/notifications/cmd/notifications", env: functionEnv("notifications", "SMTP_URL=smtp://127.0.0.1:9")},
		{name: "payouts", pkg: "./functions/payouts/cmd/payouts", env: functionEnv("payouts", append(stripeEnv(), "STRIPE_CONNECT_WEBHOOK_SECRET=whsec_bench")...)},
		{name: "deadletters", pkg: "./functions/deadletters/cmd/deadletters", env: functionEnv("deadletters")},
		{name: "web", pkg: "./functions/web/cmd/web", env: []string{"API_URL=http://127.0.0.1:9", "LOG_LEVEL=error"}},
	}
	paths := make([]string, len(bins))
	for i, b := range bins {
		paths[i] = filepath.Join(tmp, filepath.Base(b.pkg))
		build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", paths[i], b.pkg)
		build.Dir = root
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			return fmt.Errorf("build %s: %v\n%s", b.pkg, err, out)
		}
	}
	// Round by round rather than binary by binary, so that a change in
	// the machine's load falls on every binary alike and the ratios hold.
	times := make([][]time.Duration, len(bins))
	for range runs {
		for i, b := range bins {
			d, err := coldStart(ctx, paths[i], b.env)
			if err != nil {
				return fmt.Errorf("%s: %w", b.name, err)
			}
			times[i] = append(times[i], d)
		}
	}
	heading(w, "Cold start and size of each function binary",
		fmt.Sprintf("From exec to the first 200 from `GET /healthz`, polled every millisecond; %d rounds, each starting every binary once, one after another in this order. Ratio is the p50 over hello-world's. Built with `go build -trimpath -ldflags=-s -w` and `CGO_ENABLED=0`, as ko builds.", runs),
		"binary", "p50", "p90", "max", "ratio to hello-world", "size")
	hello := percentile(times[0], 50)
	for i, b := range bins {
		info, err := os.Stat(paths[i])
		if err != nil {
			return err
		}
		p50 := percentile(times[i], 50)
		fmt.Fprintf(w, "| %s | %s | %s | %s | %.2f | %.1f MiB |\n", b.name, ms(p50), ms(percentile(times[i], 90)),
			ms(percentile(times[i], 100)), float64(p50)/float64(hello), float64(info.Size())/(1<<20))
	}
	return nil
}

func coldStart(ctx context.Context, path string, env []string) (time.Duration, error) {
	ports, err := freePorts(1)
	if err != nil {
		return 0, err
	}
	port := ports[0]
	url := fmt.Sprintf("http://127.0.0.1:%d/healthz", port)
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

	cmd := exec.CommandContext(ctx, path)
	cmd.Env = append(append(os.Environ(), env...), fmt.Sprintf("PORT=%d", port))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	for time.Since(start) < 10*time.Second {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(start), nil
			}
		}
		time.Sleep(time.Millisecond)
	}
	return 0, fmt.Errorf("not healthy after 10s: %s", stderr.String())
}
