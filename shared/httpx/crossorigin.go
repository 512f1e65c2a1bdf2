package httpx

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/buytickets/buytickets/shared/logging"
)

// NewCrossOriginProtection returns net/http's CrossOriginProtection, which
// refuses unsafe (non GET, HEAD, OPTIONS) requests that a browser marks as
// cross-origin through Sec-Fetch-Site or Origin, and lets requests without
// those headers (same-origin or non-browser clients) through. Refusals are
// answered 403 "Cross-site request refused" in the error shape: this is a
// refused request, not an authorization decision, which would be 401.
// trustedOrigins ("https://buytickets.dev") may send cross-origin requests;
// more can be added with AddTrustedOrigin.
func NewCrossOriginProtection(trustedOrigins ...string) (*http.CrossOriginProtection, error) {
	p := http.NewCrossOriginProtection()
	for _, origin := range trustedOrigins {
		if err := p.AddTrustedOrigin(origin); err != nil {
			return nil, fmt.Errorf("http.CrossOriginProtection.AddTrustedOrigin: %w", err)
		}
	}
	p.SetDenyHandler(http.HandlerFunc(refuseCrossOrigin))
	return p, nil
}

// CrossOriginProtection wraps h in a NewCrossOriginProtection that trusts no
// extra origin.
func CrossOriginProtection(h http.Handler) http.Handler {
	p, _ := NewCrossOriginProtection() // no origins, so no error
	return p.Handler(h)
}

func refuseCrossOrigin(w http.ResponseWriter, r *http.Request) {
	logging.FromContext(r.Context()).InfoContext(r.Context(), "cross-origin request refused",
		slog.String("origin", r.Header.Get("Origin")),
		slog.String("secFetchSite", r.Header.Get("Sec-Fetch-Site")))
	JSON(w, http.StatusForbidden, ErrorBody{Errors: []ErrorItem{{Message: "Cross-site request refused"}}})
}
