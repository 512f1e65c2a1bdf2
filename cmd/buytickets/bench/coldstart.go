package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
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

// functionEnv is what a function needs to start; nothing is reached
// before the first request, so the addresses need not answer.
var functionEnv = []string{
	"JWT_KEY=" + string(bytes.Repeat([]byte("k"), 32)), "K_SINK=http://127.0.0.1:9",
	"GOOGLE_CLOUD_PROJECT=bench", "FIRESTORE_EMULATOR_HOST=127.0.0.1:9", "LOG_LEVEL=error",
}

// coldStarts builds each function's binary and a hello-world server, starts
// each runs times, and reports exec → first healthy answer, and sizes.
func coldStarts(ctx context.Context, w *bytes.Buffer, root, tmp string, runs int) error {
	bins := []binary{
		{name: "hello-world Go server", pkg: "./cmd/buytickets/bench/hello"},
		{name: "auth", pkg: "./functions/auth/cmd/auth", env: functionEnv},
		{name: "tickets", pkg: "./functions/tickets/cmd/tickets", env: functionEnv},
		{name: "orders", pkg: "./functions/orders/cmd/orders", env: functionEnv},
		{name: "expiration", pkg: "./functions/expiration/cmd/expiration", env: append([]string{
			"EXPIRE_URL=http://127.0.0.1:9/tasks/expire", "TASKS_INVOKER_EMAIL=invoker@bench.iam.gserviceaccount.com",
			"CLOUD_TASKS_QUEUE=projects/bench/locations/here/queues/expiration", "CLOUD_TASKS_EMULATOR_HOST=127.0.0.1:9",
		}, functionEnv...)},
		{name: "payments", pkg: "./functions/payments/cmd/payments", env: append([]string{
			"STRIPE_KEY=sk_test_bench", "STRIPE_PUBLISHABLE_KEY=pk_test_bench", "STRIPE_WEBHOOK_SECRET=whsec_bench",
			"STRIPE_API_BASE=http://127.0.0.1:9",
		}, functionEnv...)},
		{name: "deadletters", pkg: "./functions/deadletters/cmd/deadletters", env: functionEnv},
	}
	heading(w, "Cold start and size of each function binary",
		fmt.Sprintf("From exec to the first 200 from `GET /healthz`, polled every millisecond; %d starts each, run one after another in this order. Built with `go build -trimpath -ldflags=-s -w`, as ko builds.", runs),
		"binary", "p50", "p90", "max", "size")
	for _, b := range bins {
		path := filepath.Join(tmp, filepath.Base(b.pkg))
		build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", path, b.pkg)
		build.Dir = root
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			return fmt.Errorf("build %s: %v\n%s", b.pkg, err, out)
		}
		var times []time.Duration
		for range runs {
			d, err := coldStart(ctx, path, b.env)
			if err != nil {
				return fmt.Errorf("%s: %w", b.name, err)
			}
			times = append(times, d)
		}
		info, err := os.Stat(path)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %.1f MiB |\n", b.name, ms(percentile(times, 50)), ms(percentile(times, 90)),
			ms(percentile(times, 100)), float64(info.Size())/(1<<20))
	}
	return nil
}

func coldStart(ctx context.Context, path string, env []string) (time.Duration, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
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
