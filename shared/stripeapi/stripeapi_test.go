package stripeapi_test

import (
	"testing"
	"time"

	"github.com/buytickets/buytickets/shared/stripeapi"
)

func TestAClaimIsRedrivenAfterTheAgeItsFunctionWasGivenOrTheDefault(t *testing.T) {
	for _, tc := range []struct {
		name  string
		given time.Duration
		want  time.Duration
	}{
		{"none given", 0, stripeapi.DefaultRedriveAfter},
		{"negative", -time.Second, stripeapi.DefaultRedriveAfter},
		{"given", 5 * time.Second, 5 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := (stripeapi.Calls{RedriveAfter: tc.given}).Redrive(); got != tc.want {
				t.Errorf("Redrive() = %v, want %v", got, tc.want)
			}
		})
	}
}
