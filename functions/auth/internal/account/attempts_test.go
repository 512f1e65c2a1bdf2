package account_test

import (
	"errors"
	"testing"
	"time"

	"github.com/buytickets/buytickets/functions/auth/internal/account"
)

func TestSigninsOfAnAccountWaitLongerAfterEachFailureButNeverForGood(t *testing.T) {
	t.Parallel()
	last := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		failures int
		after    time.Duration
		want     time.Duration
	}{
		{0, 0, 0},
		{4, 0, 0},
		{5, 0, time.Second},
		{5, time.Second, 0},
		{6, 0, 2 * time.Second},
		{8, time.Second, 7 * time.Second},
		{14, 0, 512 * time.Second},
		{15, 0, account.MaxSigninWait},
		{1000, 0, account.MaxSigninWait},
		{1000, account.MaxSigninWait, 0},
	}
	for _, tc := range tests {
		f := account.Failures{Count: tc.failures, Last: last}
		now := last.Add(tc.after)
		if got := f.Wait(now); got != tc.want {
			t.Errorf("%d failures, %v later: wait %v, want %v", tc.failures, tc.after, got, tc.want)
		}
		err := f.Check(now)
		if (tc.want > 0) != errors.Is(err, account.ErrTooManySignins) {
			t.Errorf("%d failures, %v later: Check = %v", tc.failures, tc.after, err)
		}
	}
}
