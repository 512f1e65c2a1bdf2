package expiration

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/buytickets/buytickets/eventing/identity"
	sharedauth "github.com/buytickets/buytickets/shared/auth"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/logging"
)

// googleIssuers are the issuers of Google's OIDC tokens, which Cloud Tasks
// sends; idtoken checks the signature, expiry and audience, not the issuer.
var googleIssuers = map[string]bool{"https://accounts.google.com": true, "accounts.google.com": true}

// requireScheduler lets through only the scheduler's calls, and answers
// anyone else 401 Not authorized, with the reason in the log only: in
// production a call must bear a valid OIDC token of the invoker for the
// audience; on the embedded default it must come from the loopback
// interface.
func (f *Function) requireScheduler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		check := f.checkToken
		if f.verifier == nil {
			check = checkLoopback
		}
		if err := check(r); err != nil {
			logging.FromContext(r.Context()).WarnContext(r.Context(), "task call refused", slog.Any("error", err))
			httpx.Error(w, r, sharedauth.ErrNotAuthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// checkToken checks the request's bearer token: valid for the audience,
// issued by Google to the invoker service account, its email verified.
func (f *Function) checkToken(r *http.Request) error {
	token, err := identity.Bearer(r)
	if err != nil {
		return err
	}
	p, err := f.verifier.Validate(r.Context(), token, f.audience)
	if err != nil {
		return fmt.Errorf("idtoken.Validate: %w", err)
	}
	if !googleIssuers[p.Issuer] {
		return fmt.Errorf("token issued by %q", p.Issuer)
	}
	email, _ := p.Claims["email"].(string)
	verified, _ := p.Claims["email_verified"].(bool)
	if email != f.invoker || !verified {
		return fmt.Errorf("token of %q (verified %v), not of the invoker", email, verified)
	}
	return nil
}

// checkLoopback checks that the request came over the loopback interface,
// and through proxies (the embedded stack's service address) only from
// there: the embedded router forwards outside clients with their address
// in X-Forwarded-For, which it sets itself.
func checkLoopback(r *http.Request) error {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return fmt.Errorf("remote address %q: %w", r.RemoteAddr, err)
	}
	addrs := []string{host}
	for _, list := range r.Header.Values("X-Forwarded-For") {
		for a := range strings.SplitSeq(list, ",") {
			addrs = append(addrs, strings.TrimSpace(a))
		}
	}
	for _, a := range addrs {
		ip, err := netip.ParseAddr(a)
		if err != nil || !ip.Unmap().IsLoopback() {
			return fmt.Errorf("call from %q, not the loopback interface", a)
		}
	}
	if r.Header.Get("Forwarded") != "" {
		return errors.New("call forwarded (Forwarded header)")
	}
	return nil
}
