package httpx_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/logging"
)

// logLines parses JSON log lines.
func logLines(t *testing.T, logs *bytes.Buffer) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for line := range strings.Lines(logs.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		lines = append(lines, m)
	}
	return lines
}

func TestRecoverAnswersPanicsWith500InTheErrorShape(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		panic any
	}{
		{"string", "secret detail"},
		{"error", errors.New("secret detail")},
		{"nil map write", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			h := httpx.Recover(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.panic == nil {
					var m map[string]int
					//lint:ignore SA5000 the case is the runtime's own panic, which this write raises
					m["secret detail"] = 1
				}
				panic(tc.panic)
			}))
			ctx := logging.WithLogger(t.Context(), logging.New(&logs, "info"))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequestWithContext(ctx, http.MethodGet, "/api/tickets", nil))

			if rec.Code != http.StatusInternalServerError {
				t.Errorf("status = %d, want 500", rec.Code)
			}
			want := []httpx.ErrorItem{{Message: "Something went wrong"}}
			if got := decodeErrors(t, rec).Errors; !reflect.DeepEqual(got, want) {
				t.Errorf("errors = %+v, want %+v", got, want)
			}
			if strings.Contains(rec.Body.String(), "secret") {
				t.Errorf("body %s leaks the panic", rec.Body)
			}
			lines := logLines(t, &logs)
			if len(lines) != 1 || lines[0]["severity"] != "ERROR" || !strings.Contains(lines[0]["stack"].(string), "goroutine") {
				t.Errorf("want one ERROR line with a stack, got %v", lines)
			}
		})
	}
}

func TestRecoverAbortsAResponseAlreadyStarted(t *testing.T) {
	t.Parallel()
	h := httpx.Recover(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		panic("half way")
	}))
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler", v)
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequestWithContext(
		logging.WithLogger(t.Context(), logging.New(&bytes.Buffer{}, "info")), http.MethodGet, "/", nil))
}

func TestRequestLoggerTagsTheRequestLogger(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	h := httpx.RequestLogger(httpx.Recover(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		logging.FromContext(r.Context()).InfoContext(r.Context(), "inside")
		if r.URL.Path == "/boom" {
			panic("boom")
		}
		httpx.JSON(w, http.StatusCreated, struct{}{})
	})))
	ctx := logging.WithLogger(t.Context(), logging.New(&logs, "info"))

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequestWithContext(ctx, http.MethodPost, "/api/tickets", nil))
	id := rec.Header().Get(httpx.RequestIDHeader)
	if id == "" {
		t.Fatalf("no %s on the response", httpx.RequestIDHeader)
	}
	lines := logLines(t, &logs)
	if len(lines) != 2 {
		t.Fatalf("want 2 log lines, got %v", lines)
	}
	for _, line := range lines {
		if line["method"] != "POST" || line["path"] != "/api/tickets" || line["requestId"] != id {
			t.Errorf("line %v is not tagged with method, path and request id %s", line, id)
		}
	}
	if last := lines[1]; last["message"] != "request served" || last["status"] != float64(201) || last["durationMs"] == nil {
		t.Errorf("last line = %v, want the status and duration", last)
	}

	logs.Reset()
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/boom", nil)
	req.Header.Set(httpx.RequestIDHeader, "from-ingress-1")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if got := rec.Header().Get(httpx.RequestIDHeader); got != "from-ingress-1" {
		t.Errorf("request id = %q, want the caller's from-ingress-1", got)
	}
	lines = logLines(t, &logs)
	if last := lines[len(lines)-1]; last["status"] != float64(500) || last["requestId"] != "from-ingress-1" {
		t.Errorf("last line = %v, want status 500 for the panic", last)
	}
}

func TestRequestLoggerReplacesMalformedRequestIDs(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"has space", "quote\"d", strings.Repeat("a", 65), "new\nline"} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header[httpx.RequestIDHeader] = []string{id}
		rec := httptest.NewRecorder()
		httpx.RequestLogger(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})).ServeHTTP(rec, req)
		if got := rec.Header().Get(httpx.RequestIDHeader); got == id || got == "" {
			t.Errorf("request id %q answered as %q, want a fresh one", id, got)
		}
	}
}

func TestStandardLogsEachRequestWithTheFunctionsLoggerAndRecoversPanics(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	h := httpx.Standard(logging.New(&logs, "info"), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic("boom")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/tickets", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("a panic answered %d, want 500", rec.Code)
	}
	lines := logLines(t, &logs)
	if last := lines[len(lines)-1]; last["message"] != "request served" || last["status"] != float64(500) || last["path"] != "/api/tickets" {
		t.Errorf("the function's logger got %v, want the request served with 500", lines)
	}
}

func TestStandardWithoutALoggerUsesTheOneInTheContext(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	h := httpx.Standard(nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpx.JSON(w, http.StatusOK, struct{}{})
	}))
	ctx := logging.WithLogger(t.Context(), logging.New(&logs, "info"))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequestWithContext(ctx, http.MethodGet, "/healthz", nil))
	if lines := logLines(t, &logs); len(lines) != 1 || lines[0]["status"] != float64(200) {
		t.Errorf("the context's logger got %v, want one request served", lines)
	}
}
