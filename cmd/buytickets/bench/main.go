// Command bench measures what BENCHMARKS.md reports and rewrites it:
// `make bench`. It builds the function binaries itself and starts the
// embedded stack in-process on a temporary data folder.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/buytickets/buytickets/cmd/buytickets/stack"
)

func main() {
	out := flag.String("out", "BENCHMARKS.md", "the report to write")
	only := flag.String("only", "", "run only the sections whose name contains this, and print them instead of writing the report")
	runs := flag.Int("runs", 20, "cold starts per binary")
	soakFor := flag.Duration("soak", 10*time.Minute, "how long the soak section runs")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	stack.TuneGC() // the stack runs in this process, as it does in make run's
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(context.Background(), *out, *only, *runs, *soakFor); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(ctx context.Context, out, only string, runs int, soakFor time.Duration) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "buytickets-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	var report bytes.Buffer
	fmt.Fprintf(&report, "# Benchmarks\n\nWritten by `make bench` (`go run ./cmd/buytickets/bench`) on %s.\n\n", time.Now().UTC().Format("2006-01-02"))
	fmt.Fprintf(&report, "Machine: %s\n\n", machine())
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Fprintf(&report, "Load average (1, 5, 15 min) when the run started: %s\n\n", strings.Join(strings.Fields(string(b))[:3], ", "))
	}
	fmt.Fprintln(&report, "These machines are shared and noisy: compare figures from one run with each other, and expect a few percent of spread between runs.")

	sections := []struct {
		name string
		run  func(context.Context, *bytes.Buffer) error
	}{
		{"coldstart", func(ctx context.Context, w *bytes.Buffer) error { return coldStarts(ctx, w, root, tmp, runs) }},
		{"auth", func(ctx context.Context, w *bytes.Buffer) error { return authLatency(ctx, w, tmp) }},
		{"relay", func(ctx context.Context, w *bytes.Buffer) error { return relayThroughput(ctx, w, tmp) }},
		{"broker", func(ctx context.Context, w *bytes.Buffer) error { return brokerThroughput(ctx, w, tmp) }},
		{"market", func(ctx context.Context, w *bytes.Buffer) error { return marketLatency(ctx, w, tmp) }},
		{"onsale", func(ctx context.Context, w *bytes.Buffer) error { return onSale(ctx, w, tmp) }},
		{"firestore", func(ctx context.Context, w *bytes.Buffer) error { return onSaleFirestore(ctx, w, tmp) }},
		{"soak", func(ctx context.Context, w *bytes.Buffer) error { return soak(ctx, w, root, tmp, soakFor) }},
		{"expiry", func(ctx context.Context, w *bytes.Buffer) error { return schedulerLateness(ctx, w, tmp) }},
		{"expiry-order", func(ctx context.Context, w *bytes.Buffer) error { return orderExpiry(ctx, w, tmp) }},
		{"web", func(ctx context.Context, w *bytes.Buffer) error { return webRender(ctx, w, tmp) }},
		{"search", func(ctx context.Context, w *bytes.Buffer) error { return searchLatency(ctx, w, tmp) }},
		{"bans", func(ctx context.Context, w *bytes.Buffer) error { return banDelay(ctx, w, tmp) }},
		{"tracing", func(ctx context.Context, w *bytes.Buffer) error { return tracingCost(ctx, w, tmp) }},
	}
	for _, section := range sections {
		if only != "" && !strings.Contains(section.name, only) {
			continue
		}
		if err := section.run(ctx, &report); err != nil {
			return fmt.Errorf("%s: %w", section.name, err)
		}
	}
	if only != "" {
		_, err := os.Stdout.Write(report.Bytes())
		return err
	}
	if err := os.WriteFile(out, report.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Printf("bench: wrote %s\n", out)
	return nil
}

// repoRoot is the folder holding go.work.
func repoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOWORK").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOWORK: %w", err)
	}
	work := strings.TrimSpace(string(out))
	if work == "" || work == "off" {
		return "", fmt.Errorf("run from the repository, inside its go.work")
	}
	return filepath.Dir(work), nil
}

func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if name, ok := strings.CutPrefix(line, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int
		fmt.Sscanf(strings.SplitN(string(b), "\n", 2)[0], "MemTotal: %d kB", &kb)
		mem = fmt.Sprintf(", %.0f GiB", float64(kb)/(1<<20))
	}
	return fmt.Sprintf("%d × %s%s, %s %s/%s", runtime.NumCPU(), model, mem, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
