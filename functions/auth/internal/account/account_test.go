package account_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/buytickets/buytickets/functions/auth/internal/account"
	"github.com/buytickets/buytickets/shared/apperr"
)

func TestNormalizeEmail(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 243) + "@example.com" // 255 characters
	tests := []struct {
		name, in, want, wantErr string
	}{
		{"lower case stays", "bob@example.com", "bob@example.com", ""},
		{"upper case is lowered", "Bob@Example.COM", "bob@example.com", ""},
		{"spaces are trimmed", "  bob@example.com\t\n", "bob@example.com", ""},
		{"plus and dots", "bob.smith+tickets@mail.example.co.uk", "bob.smith+tickets@mail.example.co.uk", ""},
		{"slash is a valid character", "a/b@example.com", "a/b@example.com", ""},
		{"non-ASCII local part", "Ünïcode@example.com", "ünïcode@example.com", ""},
		{"254 characters", long[1:], long[1:], ""},
		{"empty", "", "", "Email is required"},
		{"blank", "   ", "", "Email is required"},
		{"255 characters", long, "", "Email must be at most 254 characters"},
		{"no at sign", "bob.example.com", "", "Email must be a valid address"},
		{"no local part", "@example.com", "", "Email must be a valid address"},
		{"no domain", "bob@", "", "Email must be a valid address"},
		{"domain without a dot", "bob@localhost", "", "Email must be a valid address"},
		{"domain ending in a dot", "bob@example.", "", "Email must be a valid address"},
		{"display name", "Bob <bob@example.com>", "", "Email must be a valid address"},
		{"angle brackets", "<bob@example.com>", "", "Email must be a valid address"},
		{"comment", "bob@example.com (Bob)", "", "Email must be a valid address"},
		{"two addresses", "a@example.com, b@example.com", "", "Email must be a valid address"},
		{"quoted local part with space", `"bob smith"@example.com`, "", "Email must be a valid address"},
		{"space inside", "bob smith@example.com", "", "Email must be a valid address"},
		{"two at signs", "bob@@example.com", "", "Email must be a valid address"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := account.NormalizeEmail(tc.in)
			if tc.wantErr != "" {
				var e *apperr.Error
				if !errors.As(err, &e) || e.Message != tc.wantErr || e.Field != "email" || e.Kind != apperr.Invalid {
					t.Fatalf("NormalizeEmail(%q) = %q, %v; want field error %q", tc.in, got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("NormalizeEmail(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestCheckPassword(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, wantErr string
	}{
		{"8 characters", "12345678", ""},
		{"72 characters", strings.Repeat("x", 72), ""},
		{"72 multi-byte characters", strings.Repeat("é", 72), ""},
		{"spaces count", "        ", ""},
		{"empty", "", "Password is required"},
		{"7 characters", "1234567", "Password must be between 8 and 72 characters"},
		{"73 characters", strings.Repeat("x", 73), "Password must be between 8 and 72 characters"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := account.CheckPassword(tc.in)
			var e *apperr.Error
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("CheckPassword: %v, want nil", err)
			case tc.wantErr != "" && (!errors.As(err, &e) || e.Message != tc.wantErr || e.Field != "password"):
				t.Fatalf("CheckPassword: %v, want field error %q", err, tc.wantErr)
			}
		})
	}
}

func TestParseSignupReportsEveryFailedField(t *testing.T) {
	t.Parallel()
	_, err := account.ParseSignup("nope", "short")
	var fields apperr.Fields
	if !errors.As(err, &fields) || len(fields) != 2 || fields[0].Field != "email" || fields[1].Field != "password" {
		t.Fatalf("ParseSignup = %v, want errors for email and password", err)
	}
}

func TestParseSignupNormalisesTheEmail(t *testing.T) {
	t.Parallel()
	c, err := account.ParseSignup(" Bob@Example.com ", "correct horse")
	if err != nil || c.Email != "bob@example.com" || c.Password != "correct horse" {
		t.Fatalf("ParseSignup = %+v, %v", c, err)
	}
}

func TestParseSigninNeedsOnlyAPassword(t *testing.T) {
	t.Parallel()
	if _, err := account.ParseSignin("bob@example.com", "x"); err != nil {
		t.Errorf("short password: %v, want nil (a wrong password is for the hash to say)", err)
	}
	_, err := account.ParseSignin("", "")
	var fields apperr.Fields
	if !errors.As(err, &fields) || len(fields) != 2 {
		t.Fatalf("ParseSignin(\"\", \"\") = %v, want two field errors", err)
	}
}

func TestNewGivesEachAccountItsOwnID(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))
	a := account.New("a@example.com", "hash", now)
	b := account.New("a@example.com", "hash", now)
	if a.ID() == b.ID() || len(a.ID()) != 24 {
		t.Errorf("ids %q and %q: want two different 24-digit ids", a.ID(), b.ID())
	}
	if !a.CreatedAt().Equal(now) || a.CreatedAt().Location() != time.UTC {
		t.Errorf("CreatedAt = %v, want %v in UTC", a.CreatedAt(), now)
	}
}

func TestRefusalsAreClassified(t *testing.T) {
	t.Parallel()
	if apperr.KindOf(account.ErrEmailInUse) != apperr.Invalid || account.ErrEmailInUse.Field != "email" {
		t.Errorf("ErrEmailInUse = %+v, want an Invalid error on email", account.ErrEmailInUse)
	}
	if apperr.KindOf(account.ErrInvalidCredentials) != apperr.Invalid || account.ErrInvalidCredentials.Field != "" {
		t.Errorf("ErrInvalidCredentials = %+v, want an Invalid error on no field", account.ErrInvalidCredentials)
	}
}
