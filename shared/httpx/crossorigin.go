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

// OriginOf returns the origin (scheme://host[:port]) of publicURL, the
// marketplace's public address, for NewCrossOriginProtection to trust:
// behind the production ingress, which rewrites Host to each function's
// cluster-local name, a browser's Origin never matches Host, and a browser
// that sends Origin without Sec-Fetch-Site (Safari before 16.4) would be
// refused every change. "" for an empty publicURL.
func OriginOf(publicURL string) (string, error) {
	if publicURL == "" {
		return "", nil
	}
	u, ok := HTTPURL(publicURL)
	if !ok {
		return "", fmt.Errorf("PUBLIC_URL %q must be an http(s) URL", publicURL)
	}
	return u.Scheme + "://" + u.Host, nil
}

// CrossOriginProtectionFor returns the wrapper that refuses cross-origin
// changes as CrossOriginProtection does, trusting the origin of publicURL
// (OriginOf) when it is not empty.
func CrossOriginProtectionFor(publicURL string) (func(http.Handler) http.Handler, error) {
	origin, err := OriginOf(publicURL)
	if err != nil {
		return nil, err
	}
	var origins []string
	if origin != "" {
		origins = append(origins, origin)
	}
	p, err := NewCrossOriginProtection(origins...)
	if err != nil {
		return nil, err
	}
	return p.Handler, nil
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
