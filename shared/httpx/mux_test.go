package httpx_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/buytickets/buytickets/shared/httpx"
)

func TestMuxAnswersUnknownRoutesAndMethodsInTheErrorShape(t *testing.T) {
	t.Parallel()
	mux := httpx.NewMux()
	mux.HandleFunc("GET /api/tickets/{id}", func(w http.ResponseWriter, r *http.Request) {
		httpx.JSON(w, http.StatusOK, map[string]string{"id": r.PathValue("id")})
	})
	mux.HandleFunc("PUT /api/tickets/{id}", func(w http.ResponseWriter, r *http.Request) {
		httpx.JSON(w, http.StatusOK, map[string]string{"id": r.PathValue("id")})
	})
	mux.Handle("GET /gone", http.HandlerFunc(httpx.NotFound))

	tests := []struct {
		name       string
		method     string
		path       string
		wantStatus int
		wantBody   string
		wantAllow  string
	}{
		{"known route", http.MethodGet, "/api/tickets/t1", 200, `{"id":"t1"}` + "\n", ""},
		{"unknown route", http.MethodGet, "/api/nothing", 404, `{"errors":[{"message":"Not found"}]}` + "\n", ""},
		{"root", http.MethodGet, "/", 404, `{"errors":[{"message":"Not found"}]}` + "\n", ""},
		{"wrong method", http.MethodDelete, "/api/tickets/t1", 405, `{"errors":[{"message":"Method not allowed"}]}` + "\n", "GET, HEAD, PUT"},
		{"NotFound handler", http.MethodGet, "/gone", 404, `{"errors":[{"message":"Not found"}]}` + "\n", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
			if rec.Code != tc.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tc.wantStatus)
			}
			if rec.Body.String() != tc.wantBody {
				t.Errorf("body = %q, want %q", rec.Body, tc.wantBody)
			}
			if got := rec.Header().Get("Content-Type"); got != "application/json; charset=utf-8" {
				t.Errorf("Content-Type = %q", got)
			}
			if got := rec.Header().Get("Allow"); got != tc.wantAllow {
				t.Errorf("Allow = %q, want %q", got, tc.wantAllow)
			}
		})
	}
}

func TestMuxKeepsServeMuxRedirects(t *testing.T) {
	t.Parallel()
	mux := httpx.NewMux()
	mux.HandleFunc("GET /api/tickets/", func(w http.ResponseWriter, r *http.Request) {})
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/tickets", nil))
	if rec.Code/100 != 3 || rec.Header().Get("Location") != "/api/tickets/" {
		t.Errorf("got %d to %q, want a redirect to /api/tickets/", rec.Code, rec.Header().Get("Location"))
	}
}
