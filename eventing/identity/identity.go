// Package identity knows who is talking on the event plane (DESIGN §5,
// "Sender identity"). Every request that carries an event, or asks a
// function to sweep its outbox, presents a bearer token: an OIDC token
// whose issuer, audience, expiry and subject the receiver checks before it
// reads anything else.
//
// In production the tokens are Kubernetes service-account tokens: Knative
// Eventing's broker presents one for each Trigger's identity and the
// subscriber's audience (authentication-oidc), and a publisher presents the
// one its SinkBinding projects for the broker's audience (File). A Verifier
// checks them against the cluster issuer's published keys (NewVerifier).
// The embedded default runs the same code with a Key the stack generates
// into its data folder: its Signer presents tokens, and its Verifier checks
// them.
//
// The checks are go-oidc's (github.com/coreos/go-oidc/v3); this package
// only says which issuer, audience and subjects a receiver trusts, and how
// a sender obtains its token.
package identity

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/buytickets/buytickets/shared/apperr"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/logging"
)

// The refusals of a request whose sender is not trusted: each is
// Unauthorized, answered 401, and the request has no effect.
var (
	// ErrNoToken is a request without a bearer token.
	ErrNoToken = apperr.New(apperr.Unauthorized, "Missing bearer token")
	// ErrBadToken is a token that does not verify: a wrong signature,
	// issuer or audience, or one past its expiry.
	ErrBadToken = apperr.New(apperr.Unauthorized, "Invalid bearer token")
	// ErrUnknownSender is a valid token whose subject may not make this
	// request.
	ErrUnknownSender = apperr.New(apperr.Unauthorized, "Sender not allowed")
	// ErrIssuerUnavailable is an issuer whose keys could not be fetched:
	// Unavailable, answered 503, so that the sender retries.
	ErrIssuerUnavailable = apperr.New(apperr.Unavailable, "Token issuer unavailable")
)

// Algorithms are the signature algorithms a Verifier accepts: what
// Kubernetes signs service-account tokens with (RS256, ES256) and what a
// Key signs with (EdDSA).
var Algorithms = []string{oidc.RS256, oidc.ES256, oidc.EdDSA}

// Verifier checks the tokens presented to one audience.
//
// A sender presents one token many times until it nears its expiry (the
// broker's and the outbox's, the kubelet's projected ones alike), so the
// verifier remembers the tokens it has verified, by their exact bytes,
// until they expire: the signature is checked once per token, not once per
// event. The cache is written here because go-oidc has none; it holds at
// most maxVerified tokens.
type Verifier struct {
	issuer, audience string

	mu       sync.Mutex
	verifier *oidc.IDTokenVerifier
	discover func(ctx context.Context) (*oidc.IDTokenVerifier, error)
	verified map[string]verifiedToken
	now      func() time.Time
}

// verifiedToken is what a verified token said: who, and until when.
type verifiedToken struct {
	subject string
	expiry  time.Time
}

// maxVerified bounds the verified tokens a Verifier remembers: a few per
// sender identity is the steady state.
const maxVerified = 1024

// NewVerifier returns the verifier of tokens issued by issuer (EVENTS_ISSUER,
// the cluster's service-account issuer) for audience (EVENTS_AUDIENCE, the
// function's own). It reads the issuer's discovery document and keys on the
// first token, not at start, so that a function scaled from zero answers
// without waiting on them; go-oidc caches the keys and fetches them again
// when a token names one it lacks (key rotation). client makes every
// fetch; http.DefaultClient when nil.
func NewVerifier(issuer, audience string, client *http.Client) (*Verifier, error) {
	if issuer == "" || audience == "" {
		return nil, errors.New("identity.NewVerifier: an issuer and an audience are required")
	}
	return &Verifier{issuer: issuer, audience: audience, verified: map[string]verifiedToken{}, now: time.Now, discover: func(ctx context.Context) (*oidc.IDTokenVerifier, error) {
		if client != nil {
			ctx = oidc.ClientContext(ctx, client)
		}
		// The provider keeps ctx's values, not its cancellation, for later
		// key fetches.
		provider, err := oidc.NewProvider(ctx, issuer)
		if err != nil {
			return nil, err
		}
		return provider.VerifierContext(ctx, verifierConfig(audience)), nil
	}}, nil
}

// NewKeyVerifier returns the verifier of tokens issued by issuer for
// audience and signed by one of keys: a Key's, on the embedded default.
func NewKeyVerifier(issuer, audience string, keys ...crypto.PublicKey) *Verifier {
	keySet := &oidc.StaticKeySet{PublicKeys: keys}
	return &Verifier{
		issuer: issuer, audience: audience, verified: map[string]verifiedToken{}, now: time.Now,
		verifier: oidc.NewVerifier(issuer, keySet, verifierConfig(audience)),
	}
}

func verifierConfig(audience string) *oidc.Config {
	return &oidc.Config{ClientID: audience, SupportedSigningAlgs: Algorithms}
}

// Audience is the audience the verifier accepts tokens for.
func (v *Verifier) Audience() string { return v.audience }

// get returns go-oidc's verifier, discovering the issuer on first use; a
// discovery that fails is tried again on the next token.
func (v *Verifier) get(ctx context.Context) (*oidc.IDTokenVerifier, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.verifier != nil {
		return v.verifier, nil
	}
	verifier, err := v.discover(ctx)
	if err != nil {
		return nil, ErrIssuerUnavailable.With(fmt.Errorf("oidc discovery of %s: %w", v.issuer, err))
	}
	v.verifier = verifier
	return verifier, nil
}

// Verify checks raw, a token presented to the verifier's audience, and
// returns its subject: ErrBadToken when its signature, issuer, audience or
// expiry is wrong, ErrIssuerUnavailable when the issuer's keys cannot be
// fetched.
func (v *Verifier) Verify(ctx context.Context, raw string) (subject string, err error) {
	if subject, ok := v.remembered(raw); ok {
		return subject, nil
	}
	verifier, err := v.get(ctx)
	if err != nil {
		return "", err
	}
	token, err := verifier.Verify(ctx, raw)
	if err != nil {
		// go-oidc reports a key set it could not fetch inside its
		// verification error; that is the issuer's outage, not the
		// sender's fault, and is retried.
		if strings.Contains(err.Error(), "fetching keys") {
			return "", ErrIssuerUnavailable.With(err)
		}
		return "", ErrBadToken.With(err)
	}
	if token.Subject == "" {
		return "", ErrBadToken.With(errors.New("token has no subject"))
	}
	v.remember(raw, verifiedToken{subject: token.Subject, expiry: token.Expiry})
	return token.Subject, nil
}

// remembered returns the subject of raw when the verifier has verified it
// before and it has not expired since.
func (v *Verifier) remembered(raw string) (string, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	t, ok := v.verified[raw]
	if !ok || !v.now().Before(t.expiry) {
		return "", false
	}
	return t.subject, true
}

// remember keeps a verified token until its expiry, first forgetting the
// expired ones when the cache is full, and all of them if that is not
// enough.
func (v *Verifier) remember(raw string, t verifiedToken) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.verified) >= maxVerified {
		now := v.now()
		maps.DeleteFunc(v.verified, func(_ string, t verifiedToken) bool { return !now.Before(t.expiry) })
		if len(v.verified) >= maxVerified {
			clear(v.verified)
		}
	}
	v.verified[raw] = t
}

// Bearer returns the bearer token of r, or ErrNoToken.
func Bearer(r *http.Request) (string, error) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", ErrNoToken
	}
	return strings.TrimSpace(token), nil
}

// Require returns middleware that lets a request through only when it
// carries a token the verifier accepts whose subject is one of subjects;
// otherwise it answers 401 in the error shape (503 while the issuer is
// unreachable), and the request has no effect. The subject is in the
// request's context for the handler (SubjectFrom).
func (v *Verifier) Require(subjects ...string) func(http.Handler) http.Handler {
	allowed := slices.Clone(subjects)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			subject, err := v.authenticate(r, allowed)
			if err != nil {
				refuse(w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(WithSubject(r.Context(), subject)))
		})
	}
}

func (v *Verifier) authenticate(r *http.Request, allowed []string) (string, error) {
	raw, err := Bearer(r)
	if err != nil {
		return "", err
	}
	subject, err := v.Verify(r.Context(), raw)
	if err != nil {
		return "", err
	}
	if !slices.Contains(allowed, subject) {
		return "", ErrUnknownSender.With(fmt.Errorf("subject %q", subject))
	}
	return subject, nil
}

// refuse answers an unauthenticated request, logging why (the answer says
// only that it was refused).
func refuse(w http.ResponseWriter, r *http.Request, err error) {
	logging.FromContext(r.Context()).WarnContext(r.Context(), "request refused: sender not authenticated",
		"path", r.URL.Path, "error", err)
	if apperr.KindOf(err) == apperr.Unauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	}
	httpx.Error(w, r, err)
}

type subjectKey struct{}

// WithSubject returns ctx with subject as the authenticated sender, as
// Require leaves it.
func WithSubject(ctx context.Context, subject string) context.Context {
	return context.WithValue(ctx, subjectKey{}, subject)
}

// SubjectFrom returns the subject Require authenticated the request with.
func SubjectFrom(ctx context.Context) (string, bool) {
	s, ok := ctx.Value(subjectKey{}).(string)
	return s, ok
}

// Settings are a function's production event authentication (DESIGN §7):
// the cluster's service-account issuer and the function's own audience.
type Settings struct {
	Issuer   string `env:"EVENTS_ISSUER" required:"true"`
	Audience string `env:"EVENTS_AUDIENCE" required:"true"`
	// TokenFile is where the function's own token for the broker's
	// audience is projected (DefaultTokenFile).
	TokenFile string `env:"EVENTS_TOKEN_FILE" default:"/var/run/secrets/buytickets/tokens/broker/token"`
}

// Verifier returns the verifier of the settings' issuer and audience.
func (s Settings) Verifier() (*Verifier, error) { return NewVerifier(s.Issuer, s.Audience, nil) }

// Tokens returns the function's own token source: the projected file.
// DefaultTokenFile says why it is not the SinkBinding's.
func (s Settings) Tokens() *File { return NewFile(s.TokenFile) }
