package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/shared/logging"
	"github.com/buytickets/buytickets/shared/testenv"
)

// An order placed with a W3C traceparent is one trace from the API call to
// every function the order reaches: their log lines name it, and the spans
// exported to an OTLP collector link each hop to the one before, across
// the outbox and the broker, and on to the expiry task.
func TestAnOrderIsOneTraceAcrossEveryFunction(t *testing.T) {
	collector := newCollector(t)
	bin := buildCommand(t)
	p := runCommand(t, bin, t.TempDir(),
		"LOG_LEVEL=debug", "LOG_FORMAT=json",
		"OTEL_EXPORTER_OTLP_ENDPOINT="+collector.URL,
		"OTEL_BSP_SCHEDULE_DELAY=100", "OTEL_METRIC_EXPORT_INTERVAL=200",
		"ORDER_EXPIRATION_WINDOW=2s", "ADMIN_EMAILS=support@example.com")

	seller := signUpAs(t, p.url, "seller@example.com")
	var tk struct {
		ID string `json:"id"`
	}
	if status, raw := call(t, p.url, seller, "POST", "/api/tickets", `{"title":"Traced","price":20}`, nil, &tk); status != http.StatusCreated {
		t.Fatalf("sell: %d %s", status, raw)
	}
	buyer := signUpAs(t, p.url, "buyer@example.com")

	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	traced := http.Header{"Traceparent": {"00-" + traceID + "-" + parentID + "-01"}}
	var o struct {
		ID string `json:"id"`
	}
	testenv.Eventually(t, 10*time.Second, "the ticket to be orderable", func() bool {
		status, raw := call(t, p.url, buyer, "POST", "/api/orders", `{"ticketId":"`+tk.ID+`"}`, traced, &o)
		if status != http.StatusCreated && status != http.StatusNotFound {
			t.Fatalf("order: %d %s", status, raw)
		}
		return status == http.StatusCreated
	})

	// The order expires after 2 s: expiration's task is called back.
	testenv.Eventually(t, 15*time.Second, "the order to expire", func() bool {
		var got struct {
			Status string `json:"status"`
		}
		call(t, p.url, buyer, "GET", "/api/orders/"+o.ID, "", nil, &got)
		return got.Status == "cancelled"
	})

	// The log lines of each function for the order name the trace.
	want := map[string]bool{"orders": false, "broker": false, "tickets": false, "expiration": false, "payments": false}
	var expired, mailed bool // the expiry task's call; the buyer's email that the reservation expired
	testenv.Eventually(t, 10*time.Second, "a log line of each function in the trace, the expiry task's and the email's", func() bool {
		for _, line := range logLines(t, p.logs) {
			if !strings.HasSuffix(fmt.Sprint(line[logging.TraceKey]), traceID) || line[logging.SpanKey] == nil {
				continue
			}
			fn, _ := line["function"].(string)
			if _, ok := want[fn]; ok {
				want[fn] = true
			}
			if fn == "expiration" && line["path"] == "/tasks/expire" {
				expired = true
			}
			if fn == "notifications" && line["message"] == "mail sent" && line["kind"] == "expired" {
				mailed = true
			}
		}
		for _, seen := range want {
			if !seen {
				return false
			}
		}
		return expired && mailed
	})

	// The spans link: orders' request, the outbox's send, the broker's
	// ingress and delivery, and each subscriber's request and receipt.
	testenv.Eventually(t, 10*time.Second, "the spans of the order, linked across the broker", func() bool {
		spans := collector.trace(traceID)
		for _, trigger := range []string{"tickets-order-created", "expiration-order-created", "payments-order-created"} {
			if !spans.chain("receive "+eventing.TypeOrderCreated, []string{
				"receive " + eventing.TypeOrderCreated, "POST /events", "broker deliver " + trigger, "POST /",
				"outbox send " + eventing.TypeOrderCreated, "sqlite transaction", "POST /api/orders",
			}, parentID) {
				return false
			}
		}
		return spans.named("POST /tasks/expire")
	})

	// A storefront page's trace goes on into the API calls it makes.
	const pageTrace = "0af7651916cd43dd8448eb211c80319c"
	page := http.Header{"Traceparent": {"00-" + pageTrace + "-b7ad6b7169203331-01"}}
	if status, raw := call(t, p.url, buyer, "GET", "/orders/"+o.ID, "", page, nil); status != http.StatusOK {
		t.Fatalf("order page: %d %s", status, raw)
	}
	testenv.Eventually(t, 10*time.Second, "orders' log line of the page's API call in the page's trace", func() bool {
		for _, line := range logLines(t, p.logs) {
			if line["function"] == "orders" && line["path"] == "/api/orders/"+o.ID &&
				strings.HasSuffix(fmt.Sprint(line[logging.TraceKey]), pageTrace) {
				return true
			}
		}
		return false
	})

	// Support finds the trace from the order's history.
	support := signUpAs(t, p.url, "support@example.com")
	var history []struct {
		What    string `json:"what"`
		TraceID string `json:"traceId"`
	}
	if status, raw := call(t, p.url, support, "GET", "/api/orders/"+o.ID+"/history", "", nil, &history); status != http.StatusOK {
		t.Fatalf("history: %d %s", status, raw)
	}
	if len(history) == 0 || history[0].What != "placed" || history[0].TraceID != traceID {
		t.Errorf("history %+v, want the placed step to name trace %s", history, traceID)
	}

	// The operator's counts of the order arrive as metrics.
	testenv.Eventually(t, 10*time.Second, "the order's metrics", func() bool {
		return collector.exported("buytickets.orders.placed", "buytickets.orders.expired",
			"buytickets.outbox.backlog", "buytickets.outbox.oldest_unsent_age")
	})
}

// signUpAs signs email up and returns its session cookies.
func signUpAs(t *testing.T, base, email string) []*http.Cookie {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/api/users/signup", strings.NewReader(`{"email":"`+email+`","password":"correct horse"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		raw, _ := io.ReadAll(resp.Body)
		t.Fatalf("sign up %s: %d %s", email, resp.StatusCode, raw)
	}
	return resp.Cookies()
}

// call sends a JSON request with cookies and extra headers and decodes a
// 2xx answer into out.
func call(t *testing.T, base string, cookies []*http.Cookie, method, path, body string, header http.Header, out any) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		_ = json.Unmarshal(raw, out)
	}
	return resp.StatusCode, string(raw)
}

// logLines are the JSON log records in the file logs.
func logLines(t *testing.T, logs string) []map[string]any {
	t.Helper()
	raw, err := os.ReadFile(logs)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, line := range bytes.Split(raw, []byte("\n")) {
		var rec map[string]any
		if json.Unmarshal(line, &rec) == nil {
			out = append(out, rec)
		}
	}
	return out
}

// collector is an OTLP/HTTP receiver: it keeps the spans and counts the
// metric exports posted to it, in protobuf as the exporters send them.
type collector struct {
	*httptest.Server
	mu      sync.Mutex
	spans   []*tracepb.Span
	metrics map[string]bool // the names of the metrics exported with a data point
}

func newCollector(t *testing.T) *collector {
	c := &collector{metrics: map[string]bool{}}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var answer proto.Message
		switch r.URL.Path {
		case "/v1/traces":
			var req coltracepb.ExportTraceServiceRequest
			if err := proto.Unmarshal(body, &req); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			c.mu.Lock()
			for _, rs := range req.ResourceSpans {
				for _, ss := range rs.ScopeSpans {
					c.spans = append(c.spans, ss.Spans...)
				}
			}
			c.mu.Unlock()
			answer = &coltracepb.ExportTraceServiceResponse{}
		case "/v1/metrics":
			var req colmetricpb.ExportMetricsServiceRequest
			if err := proto.Unmarshal(body, &req); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			c.mu.Lock()
			for _, rm := range req.ResourceMetrics {
				for _, sm := range rm.ScopeMetrics {
					for _, m := range sm.Metrics {
						c.metrics[m.Name] = true
					}
				}
			}
			c.mu.Unlock()
			answer = &colmetricpb.ExportMetricsServiceResponse{}
		default:
			http.NotFound(w, r)
			return
		}
		out, _ := proto.Marshal(answer)
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(out)
	}))
	t.Cleanup(c.Close)
	return c
}

// trace returns the spans received of the trace id (hex).
func (c *collector) trace(id string) spanSet {
	c.mu.Lock()
	defer c.mu.Unlock()
	set := spanSet{}
	for _, s := range c.spans {
		if fmt.Sprintf("%x", s.TraceId) == id {
			set[fmt.Sprintf("%x", s.SpanId)] = s
		}
	}
	return set
}

// exported reports whether every metric of names was exported.
func (c *collector) exported(names ...string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, name := range names {
		if !c.metrics[name] {
			return false
		}
	}
	return true
}

// spanSet is the spans of one trace by span id.
type spanSet map[string]*tracepb.Span

// named reports whether a span is called name.
func (s spanSet) named(name string) bool {
	for _, sp := range s {
		if sp.Name == name {
			return true
		}
	}
	return false
}

// chain reports whether a span called leaf has exactly the ancestors
// names (leaf first) up to the span root, the remote parent the trace
// came in with.
func (s spanSet) chain(leaf string, names []string, root string) bool {
	for _, sp := range s {
		if sp.Name != leaf {
			continue
		}
		var got []string
		for cur := sp; cur != nil; cur = s[fmt.Sprintf("%x", cur.ParentSpanId)] {
			got = append(got, cur.Name)
			if fmt.Sprintf("%x", cur.ParentSpanId) == root {
				if strings.Join(got, " < ") == strings.Join(names, " < ") {
					return true
				}
				break
			}
		}
	}
	return false
}
