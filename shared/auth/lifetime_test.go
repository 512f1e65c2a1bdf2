package auth_test

import (
	"errors"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/buytickets/buytickets/shared/auth"
)

func TestATokenLivingLongerThanASessionIsRefused(t *testing.T) {
	t.Parallel()
	tokens := newTokens(t, t0)
	for name, lifetime := range map[string]time.Duration{
		"ten years":              10 * 365 * 24 * time.Hour,
		"one second too many":    auth.AccessLifetime + time.Second,
		"the lifetime (allowed)": auth.AccessLifetime,
	} {
		token := sign(t, jwt.SigningMethodHS256, testKey, with(validClaims(), "exp", t0.Add(lifetime).Unix()))
		_, err := tokens.Verify(token)
		if allowed := lifetime <= auth.AccessLifetime; allowed != (err == nil) || err != nil && !errors.Is(err, auth.ErrNotAuthorized) {
			t.Errorf("%s: Verify = %v, want accepted %v", name, err, allowed)
		}
	}
}
