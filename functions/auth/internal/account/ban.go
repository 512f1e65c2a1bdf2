package account

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/buytickets/buytickets/shared/apperr"
	sharedauth "github.com/buytickets/buytickets/shared/auth"
)

// MaxBanReasonLen is the longest reason a ban accepts, in characters.
const MaxBanReasonLen = 500

// The refusals of a ban.
var (
	// ErrBanSelf refuses an admin banning their own account: no admin
	// could lift it.
	ErrBanSelf = apperr.New(apperr.Invalid, "You cannot ban yourself")
	// ErrNoBanReason and ErrLongBanReason refuse a ban without a reason,
	// or with one too long to read.
	ErrNoBanReason   = apperr.Field("reason", "Reason is required")
	ErrLongBanReason = apperr.Field("reason", "Reason must be at most 500 characters")
	// ErrBanEnded refuses a ban whose end is not in the future.
	ErrBanEnded = apperr.Field("until", "Until must be in the future")
	// ErrNotBanned refuses lifting the ban of an account that has none.
	ErrNotBanned = apperr.New(apperr.Invalid, "User is not banned")
	// ErrUserNotFound is an id no account has.
	ErrUserNotFound = apperr.New(apperr.NotFound, "User not found")
)

// Ban is an admin's suspension of an account.
type Ban struct {
	// By is the admin who banned it; empty for an account never banned or
	// whose ban was lifted.
	By     string
	Reason string
	// Until ends the ban; zero for a ban without end.
	Until time.Time
	// At is when the ban began.
	At time.Time
}

// Ban returns the account's ban: its zero value when it has none.
func (u User) Ban() Ban { return u.ban }

// Suspended reports whether the account is banned at now: banned, and the
// ban without end or not over yet. A suspended account cannot sign in nor
// refresh its session, and every function refuses its requests.
func (u User) Suspended(now time.Time) bool {
	return u.ban.By != "" && (u.ban.Until.IsZero() || now.Before(u.ban.Until))
}

// CheckBan checks a ban's input: ErrNoBanReason or ErrLongBanReason for the
// reason, ErrBanEnded for an until (zero for a ban without end) that is not
// after now, reported together; it returns the trimmed reason.
func CheckBan(reason string, until, now time.Time) (string, error) {
	reason = strings.TrimSpace(reason)
	var fields apperr.Fields
	switch {
	case reason == "":
		fields = append(fields, ErrNoBanReason)
	case utf8.RuneCountInString(reason) > MaxBanReasonLen:
		fields = append(fields, ErrLongBanReason)
	}
	if !until.IsZero() && !until.After(now) {
		fields = append(fields, ErrBanEnded)
	}
	return reason, fields.Err()
}

// BanBy bans the account on behalf of admin, for reason (checked by
// CheckBan) until until (zero: without end), at now. A ban of an account
// already banned replaces it, with the new reason and end.
func (u *User) BanBy(admin sharedauth.User, reason string, until, now time.Time) error {
	if admin.ID == u.id {
		return ErrBanSelf
	}
	reason, err := CheckBan(reason, until, now)
	if err != nil {
		return err
	}
	u.ban = Ban{By: admin.ID, Reason: reason, Until: until.UTC(), At: now.UTC()}
	return nil
}

// Unban lifts the account's ban: ErrNotBanned when it has none in force.
func (u *User) Unban(now time.Time) error {
	if !u.Suspended(now) {
		return ErrNotBanned
	}
	u.ban = Ban{}
	return nil
}
