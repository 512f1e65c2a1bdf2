package account_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/buytickets/buytickets/functions/auth/internal/account"
	sharedauth "github.com/buytickets/buytickets/shared/auth"
)

var banAt = time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)

func TestABanNeedsAReasonAFutureEndAndAnotherAccount(t *testing.T) {
	t.Parallel()
	admin := sharedauth.User{ID: "admin", Role: sharedauth.RoleAdmin}
	tests := []struct {
		name   string
		by     sharedauth.User
		reason string
		until  time.Time
		want   []error
	}{
		{"a ban without end", admin, "Fraud", time.Time{}, nil},
		{"a ban for a day", admin, "  Spam  ", banAt.Add(24 * time.Hour), nil},
		{"no reason", admin, " ", time.Time{}, []error{account.ErrNoBanReason}},
		{"a reason too long", admin, strings.Repeat("é", account.MaxBanReasonLen+1), time.Time{}, []error{account.ErrLongBanReason}},
		{"an end already past", admin, "Fraud", banAt.Add(-time.Second), []error{account.ErrBanEnded}},
		{"an end now", admin, "Fraud", banAt, []error{account.ErrBanEnded}},
		{"both wrong", admin, "", banAt, []error{account.ErrNoBanReason, account.ErrBanEnded}},
		{"banning yourself", sharedauth.User{ID: "u1", Role: sharedauth.RoleAdmin}, "Fraud", time.Time{}, []error{account.ErrBanSelf}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			u := account.UnmarshalFromStore(account.State{ID: "u1", Email: "u1@example.com"})
			err := u.BanBy(tc.by, tc.reason, tc.until, banAt)
			for _, want := range tc.want {
				if !errors.Is(err, want) {
					t.Errorf("BanBy = %v, want %v", err, want)
				}
			}
			if len(tc.want) > 0 {
				if u.Suspended(banAt) {
					t.Error("a refused ban suspended the account")
				}
				return
			}
			if err != nil {
				t.Fatalf("BanBy = %v", err)
			}
			b := u.Ban()
			if !u.Suspended(banAt) || b.By != "admin" || b.Reason != strings.TrimSpace(tc.reason) || !b.Until.Equal(tc.until) {
				t.Errorf("ban %+v, suspended %v", b, u.Suspended(banAt))
			}
		})
	}
}

func TestABanEndsAtItsEndOrWhenLifted(t *testing.T) {
	t.Parallel()
	admin := sharedauth.User{ID: "admin", Role: sharedauth.RoleAdmin}
	u := account.UnmarshalFromStore(account.State{ID: "u1", Email: "u1@example.com"})
	if err := u.Unban(banAt); !errors.Is(err, account.ErrNotBanned) {
		t.Errorf("lifting no ban = %v, want ErrNotBanned", err)
	}
	if err := u.BanBy(admin, "Spam", banAt.Add(time.Hour), banAt); err != nil {
		t.Fatal(err)
	}
	if !u.Suspended(banAt.Add(59*time.Minute)) || u.Suspended(banAt.Add(time.Hour)) {
		t.Error("a ban of an hour does not end after an hour")
	}
	if err := u.BanBy(admin, "Fraud", time.Time{}, banAt); err != nil {
		t.Fatal(err)
	}
	if restored := account.UnmarshalFromStore(u.State()); !restored.Suspended(banAt.Add(1000*time.Hour)) || restored.Ban().Reason != "Fraud" {
		t.Errorf("the stored account lost its ban: %+v", restored.Ban())
	}
	if err := u.Unban(banAt); err != nil || u.Suspended(banAt) {
		t.Errorf("Unban = %v, suspended %v", err, u.Suspended(banAt))
	}
}
