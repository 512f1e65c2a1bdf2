package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// soakLog collects what the soak's clients saw, minute by minute of the
// run.
type soakLog struct {
	start     time.Time
	mu        sync.Mutex
	minutes   []soakMinute
	orderable []time.Duration // a listing's 201 to its first order answer other than 404
	paid      []paidOrder
}

// soakMinute is what the requests started in one minute of the run saw.
type soakMinute struct {
	requests, fivexx int // fivexx counts 5xx and requests with no answer
	took             map[string][]time.Duration
}

type paidOrder struct {
	buyer   *session
	orderID string
	ticket  string
}

func (l *soakLog) call(s *session, endpoint, method, path string, body any) (int, []byte) {
	start := time.Now()
	status, raw, err := s.call(method, path, body)
	if err != nil {
		status = 0
	}
	took := time.Since(start)
	l.mu.Lock()
	defer l.mu.Unlock()
	m := int(start.Sub(l.start) / time.Minute)
	for len(l.minutes) <= m {
		l.minutes = append(l.minutes, soakMinute{took: map[string][]time.Duration{}})
	}
	l.minutes[m].requests++
	l.minutes[m].took[endpoint] = append(l.minutes[m].took[endpoint], took)
	if status >= 500 || status == 0 {
		l.minutes[m].fivexx++
	}
	return status, raw
}

// soakEndpoints are the rows of the soak's table, in order.
var soakEndpoints = []string{"GET /api/tickets", "POST /api/tickets", "POST /api/orders", "DELETE /api/orders/{id}", "POST /api/payments"}

// soak runs a steady mixed load on the embedded default for d: 16 clients,
// each a seller and a buyer, in a loop: browse the shop, list a ticket,
// order it at once (timing how soon orders takes it), and cancel a third
// of the orders and pay for the rest with tok_visa.
func soak(ctx context.Context, w *bytes.Buffer, root, tmp string, d time.Duration) error {
	const clients = 16
	dir := filepath.Join(tmp, "soak")
	s, err := startMarketplace(ctx, root, tmp, dir)
	if err != nil {
		return err
	}
	defer s.stop()
	sellers, err := newSessions(s.url, "soak-seller%d@example.com", clients)
	if err != nil {
		return err
	}
	buyers, err := newSessions(s.url, "soak-buyer%d@example.com", clients)
	if err != nil {
		return err
	}
	start := time.Now()
	log := &soakLog{start: start}
	var rss []memorySample
	end := start.Add(d)
	stopSampling := make(chan struct{})
	var sampling sync.WaitGroup
	sampling.Go(func() {
		every := min(time.Minute, max(d/10, time.Second))
		for {
			rss = append(rss, memorySample{at: time.Since(start), mb: s.residentMemory()})
			select {
			case <-stopSampling:
				return
			case <-time.After(every):
			}
		}
	})
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for i := 0; time.Now().Before(end); i++ {
				soakRound(log, sellers[c], buyers[c], fmt.Sprintf("Soak %d-%d", c, i), i%3 == 0)
			}
		})
	}
	wg.Wait()
	close(stopSampling)
	sampling.Wait()
	endMemory := s.residentMemory()
	elapsed := time.Since(start)

	complete, err := paidComplete(log.paid, time.Minute)
	if err != nil {
		return err
	}
	soldTwice := ticketsSoldTwice(log.paid)
	writeSoak(w, log, elapsed, clients)
	requests, fivexx := 0, 0
	for _, m := range log.minutes {
		requests += m.requests
		fivexx += m.fivexx
	}
	fmt.Fprintf(w, "\n| what | figure |\n|---|---|\n")
	fmt.Fprintf(w, "| requests | %d in %s |\n", requests, elapsed.Round(time.Second))
	fmt.Fprintf(w, "| 5xx or no answer | %d |\n", fivexx)
	fmt.Fprintf(w, "| listing → orderable (201 to the first order answer not 404) | p50 %s, p99 %s, max %s of %d |\n",
		ms(percentile(log.orderable, 50)), ms(percentile(log.orderable, 99)), ms(percentile(log.orderable, 100)), len(log.orderable))
	fmt.Fprintf(w, "| paid orders complete | %d of %d |\n", complete, len(log.paid))
	fmt.Fprintf(w, "| tickets sold twice | %d |\n", soldTwice)
	fmt.Fprintf(w, "| resident memory of the marketplace's process | %s; end: %.0f MB |\n", joinSamples(rss), endMemory)
	fmt.Fprintf(w, "| resident memory over the second half | %s |\n", secondHalf(rss, elapsed))
	fmt.Fprintf(w, "| data folder at the end | %s |\n", folderSizes(dir))
	return nil
}

// soakRound is one client's round: browse, list, order at once, then
// cancel or pay.
func soakRound(log *soakLog, seller, buyer *session, title string, cancel bool) {
	log.call(buyer, "GET /api/tickets", "GET", "/api/tickets?limit=20", nil)
	status, raw := log.call(seller, "POST /api/tickets", "POST", "/api/tickets", map[string]any{"title": title, "price": 12.5})
	if status != http.StatusCreated {
		return
	}
	listed := time.Now()
	var tk struct{ ID string }
	if json.Unmarshal(raw, &tk) != nil {
		return
	}
	var o struct{ ID string }
	for {
		status, raw = log.call(buyer, "POST /api/orders", "POST", "/api/orders", map[string]string{"ticketId": tk.ID})
		if status != http.StatusNotFound || time.Since(listed) > 30*time.Second {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	log.mu.Lock()
	log.orderable = append(log.orderable, time.Since(listed))
	log.mu.Unlock()
	if status != http.StatusCreated || json.Unmarshal(raw, &o) != nil {
		return
	}
	if cancel {
		log.call(buyer, "DELETE /api/orders/{id}", "DELETE", "/api/orders/"+o.ID, nil)
		return
	}
	// Payments learns of the order through order.created: a 404 is that
	// moment, tried again.
	for deadline := time.Now().Add(30 * time.Second); ; {
		status, _ = log.call(buyer, "POST /api/payments", "POST", "/api/payments", map[string]string{"orderId": o.ID, "token": "tok_visa"})
		if status != http.StatusNotFound || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if status == http.StatusCreated {
		log.mu.Lock()
		log.paid = append(log.paid, paidOrder{buyer: buyer, orderID: o.ID, ticket: tk.ID})
		log.mu.Unlock()
	}
}

// writeSoak writes the per-minute table: throughput and each endpoint's
// p50/p99.
func writeSoak(w *bytes.Buffer, log *soakLog, elapsed time.Duration, clients int) {
	cols := []string{"minute", "requests/s"}
	for _, e := range soakEndpoints {
		cols = append(cols, e+" p50 / p99")
	}
	cols = append(cols, "5xx")
	heading(w, "Steady load (soak) on the embedded default",
		fmt.Sprintf("%d clients for %s, each a seller and a buyer, in a loop: browse the shop (GET /api/tickets?limit=20), list a ticket, order it at once (trying again on 404 every 10 ms, which times how soon a listing can be ordered), then cancel a third of the orders and pay for the rest with tok_visa through stripe-mock (trying again on 404 while payments learns of the order). The marketplace runs as `make run` runs it, in a process of its own (built from cmd/buytickets, with `RATE_LIMITS=off` since every client comes from one address), whose resident memory is sampled. Per minute of the run:", clients, elapsed.Round(time.Second)),
		cols...)
	for i, m := range log.minutes {
		// The last, short minute holds the requests started as the run
		// ended: too few for a rate.
		span := min(time.Minute, elapsed-time.Duration(i)*time.Minute)
		if m.requests == 0 || span < 10*time.Second {
			continue
		}
		row := []string{strconv.Itoa(i + 1), fmt.Sprintf("%.0f", float64(m.requests)/span.Seconds())}
		for _, e := range soakEndpoints {
			if len(m.took[e]) == 0 {
				row = append(row, "–")
				continue
			}
			row = append(row, fmt.Sprintf("%s / %s", ms(percentile(m.took[e], 50)), ms(percentile(m.took[e], 99))))
		}
		row = append(row, strconv.Itoa(m.fivexx))
		fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
	}
}

// paidComplete counts the paid orders that show complete within timeout.
func paidComplete(paid []paidOrder, timeout time.Duration) (int, error) {
	deadline := time.Now().Add(timeout)
	complete := 0
	for _, p := range paid {
		for {
			raw, err := p.buyer.expect(http.StatusOK, "GET", "/api/orders/"+p.orderID, nil)
			if err != nil {
				return 0, err
			}
			var o struct{ Status string }
			if err := json.Unmarshal(raw, &o); err != nil {
				return 0, err
			}
			if o.Status == "complete" {
				complete++
				break
			}
			if time.Now().After(deadline) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return complete, nil
}

// ticketsSoldTwice counts the tickets paid for by more than one order.
func ticketsSoldTwice(paid []paidOrder) int {
	n := map[string]int{}
	for _, p := range paid {
		n[p.ticket]++
	}
	twice := 0
	for _, c := range n {
		if c > 1 {
			twice++
		}
	}
	return twice
}

// marketplace is `make run`'s process, built and started for the soak, so
// that the memory measured is the marketplace's alone, not its clients'.
type marketplace struct {
	cmd *exec.Cmd
	url string
}

// startMarketplace builds cmd/buytickets and runs it on the data folder
// dir, as make run does but with the per-address budget of sign-ups off
// (every client comes from one address), and waits until it serves.
func startMarketplace(ctx context.Context, root, tmp, dir string) (*marketplace, error) {
	bin := filepath.Join(tmp, "buytickets")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/buytickets")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build the marketplace: %v\n%s", err, out)
	}
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	port, mailUI := ports[0], ports[1]
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), fmt.Sprintf("PORT=%d", port), "DATA_DIR="+dir, "RATE_LIMITS=off",
		fmt.Sprintf("MAIL_UI_ADDR=127.0.0.1:%d", mailUI), "LOG_LEVEL=error")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the marketplace: %w", err)
	}
	m := &marketplace{cmd: cmd, url: fmt.Sprintf("http://127.0.0.1:%d", port)}
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get(m.url + "/api/tickets?limit=1")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return m, nil
			}
		}
	}
	m.stop()
	return nil, fmt.Errorf("the marketplace did not serve within a minute: %s", stderr.String())
}

// stop ends the marketplace as make run's Ctrl-C does, and waits for it.
func (m *marketplace) stop() {
	m.cmd.Process.Signal(os.Interrupt)
	m.cmd.Wait()
}

// residentMemory is the marketplace's resident set size in MB; 0 when it
// cannot be read.
func (m *marketplace) residentMemory() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", m.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return float64(kb) / 1000
		}
	}
	return 0
}

// memorySample is the marketplace's resident memory at a moment of the soak.
type memorySample struct {
	at time.Duration
	mb float64
}

// joinSamples lists samples as "1m0s: 116 MB; …".
func joinSamples(samples []memorySample) string {
	parts := make([]string, len(samples))
	for i, m := range samples {
		parts[i] = fmt.Sprintf("%s: %.0f MB", m.at.Round(time.Second), m.mb)
	}
	return strings.Join(parts, "; ")
}

// secondHalf describes the samples taken in the second half of a soak of
// length d: their range and their least-squares trend per minute, which is
// what "flat" is judged on.
func secondHalf(samples []memorySample, d time.Duration) string {
	var xs, ys []float64
	for _, m := range samples {
		if m.at >= d/2 && m.mb > 0 {
			xs, ys = append(xs, m.at.Minutes()), append(ys, m.mb)
		}
	}
	if len(xs) < 2 {
		return "too few samples"
	}
	var mx, my float64
	for i := range xs {
		mx, my = mx+xs[i], my+ys[i]
	}
	mx, my = mx/float64(len(xs)), my/float64(len(ys))
	var cov, vx float64
	for i := range xs {
		cov += (xs[i] - mx) * (ys[i] - my)
		vx += (xs[i] - mx) * (xs[i] - mx)
	}
	return fmt.Sprintf("%.0f–%.0f MB in %d samples, trend %+.1f MB a minute", slices.Min(ys), slices.Max(ys), len(ys), cov/vx)
}

// freePorts returns n loopback ports free a moment ago, all different:
// each is held until all are chosen, since a port let go is the kernel's
// next answer.
func freePorts(n int) ([]int, error) {
	ports := make([]int, n)
	for i := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer ln.Close()
		ports[i] = ln.Addr().(*net.TCPAddr).Port
	}
	return ports, nil
}

// folderSizes lists the size of each file in dir, largest first, with
// the total.
func folderSizes(dir string) string {
	type file struct {
		name string
		size int64
	}
	var files []file
	var total int64
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if info, err := d.Info(); err == nil {
			rel, _ := filepath.Rel(dir, path)
			files = append(files, file{rel, info.Size()})
			total += info.Size()
		}
		return nil
	})
	slices.SortFunc(files, func(a, b file) int { return int(b.size - a.size) })
	var parts []string
	for _, f := range files[:min(len(files), 8)] {
		parts = append(parts, fmt.Sprintf("%s %.1f MB", f.name, float64(f.size)/1e6))
	}
	return fmt.Sprintf("%.1f MB in all; %s", float64(total)/1e6, strings.Join(parts, ", "))
}
