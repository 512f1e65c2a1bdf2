// Package account holds the rules of an account: what a valid email and
// password are, how an email is normalised, and the refusals a sign-up or a
// sign-in can meet. It does no I/O.
package account

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/buytickets/buytickets/shared/apperr"
)

// The limits of DESIGN §3, in characters.
const (
	// MaxEmailLen is the longest email accepted (the SMTP path limit).
	MaxEmailLen = 254
	// MinPasswordLen is the shortest password a sign-up accepts.
	MinPasswordLen = 8
	// MaxPasswordLen is the longest password a sign-up accepts.
	MaxPasswordLen = 72
)

// The refusals of sign-up and sign-in.
var (
	// ErrEmailInUse refuses a sign-up with an email another account holds.
	ErrEmailInUse = apperr.Field("email", "Email in use")
	// ErrInvalidCredentials refuses a sign-in, whether the email is unknown
	// or the password wrong: the caller cannot tell which.
	ErrInvalidCredentials = apperr.New(apperr.Invalid, "Invalid credentials")
)

// User is an account: its id, its normalised email, the encoded hash of its
// password and when it was created. New makes one; the store rebuilds it
// with UnmarshalFromStore; nothing else writes it.
type User struct {
	id           string
	email        string
	passwordHash string
	createdAt    time.Time
	ban          Ban // zero unless an admin banned the account
}

// ID is the account's id.
func (u User) ID() string { return u.id }

// Email is the account's normalised email.
func (u User) Email() string { return u.email }

// PasswordHash is the encoded hash of the account's password.
func (u User) PasswordHash() string { return u.passwordHash }

// CreatedAt is when the account was made.
func (u User) CreatedAt() time.Time { return u.createdAt }

// State is an account field by field, as the store keeps it.
type State struct {
	ID           string
	Email        string
	PasswordHash string
	CreatedAt    time.Time
	Ban          Ban
}

// State returns u field by field, for the store.
func (u User) State() State {
	return State{ID: u.id, Email: u.email, PasswordHash: u.passwordHash, CreatedAt: u.createdAt, Ban: u.ban}
}

// UnmarshalFromStore returns the account s describes. It is for the
// store's rehydration only: it checks no rule, since what was stored kept
// them.
func UnmarshalFromStore(s State) User {
	return User{id: s.ID, email: s.Email, passwordHash: s.PasswordHash, createdAt: s.CreatedAt, ban: s.Ban}
}

// New returns a new account with a fresh random id for a normalised email
// and an encoded password hash.
func New(email, passwordHash string, now time.Time) User {
	return User{id: NewID(), email: email, passwordHash: passwordHash, createdAt: now.UTC()}
}

// NewID returns a random 96-bit id as 24 lower-case hex digits.
func NewID() string {
	var b [12]byte
	// crypto/rand.Read never returns an error since Go 1.24.
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Credentials are an email, already normalised, and a password.
type Credentials struct {
	Email    string
	Password string
}

// ParseSignup checks the input of a sign-up: a valid email, normalised, and
// a password of MinPasswordLen to MaxPasswordLen characters. It reports every
// failed field at once as apperr.Fields.
func ParseSignup(email, password string) (Credentials, error) {
	var fields apperr.Fields
	normalised, err := normalizeEmail(email)
	if err != nil {
		fields = append(fields, err)
	}
	if err := checkPassword(password); err != nil {
		fields = append(fields, err)
	}
	return Credentials{Email: normalised, Password: password}, fields.Err()
}

// ParseSignin checks the input of a sign-in: a valid email, normalised, and
// a password that is not empty. Whether the password is right is for the
// stored hash to say.
func ParseSignin(email, password string) (Credentials, error) {
	var fields apperr.Fields
	normalised, err := normalizeEmail(email)
	if err != nil {
		fields = append(fields, err)
	}
	if password == "" {
		fields = append(fields, apperr.Field("password", "Password is required"))
	}
	return Credentials{Email: normalised, Password: password}, fields.Err()
}

// NormalizeEmail returns email trimmed and in lower case, or an Invalid
// error for the field "email" when it is empty, longer than MaxEmailLen
// characters, or not a bare address (user@example.com, without a display
// name, comment or angle brackets) whose domain has a dot.
func NormalizeEmail(email string) (string, error) {
	e, err := normalizeEmail(email)
	if err != nil {
		return "", err
	}
	return e, nil
}

func normalizeEmail(email string) (string, *apperr.Error) {
	e := strings.ToLower(strings.TrimSpace(email))
	switch {
	case e == "":
		return "", apperr.Field("email", "Email is required")
	case utf8.RuneCountInString(e) > MaxEmailLen:
		return "", apperr.Field("email", fmt.Sprintf("Email must be at most %d characters", MaxEmailLen))
	case !isBareAddress(e):
		return "", apperr.Field("email", "Email must be a valid address")
	}
	return e, nil
}

// isBareAddress reports whether s is an address net/mail parses back to
// itself, with no display name, and whose domain looks deliverable.
func isBareAddress(s string) bool {
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	return strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}

// CheckPassword returns an Invalid error for the field "password" unless
// password holds MinPasswordLen to MaxPasswordLen characters.
func CheckPassword(password string) error {
	if err := checkPassword(password); err != nil {
		return err
	}
	return nil
}

func checkPassword(password string) *apperr.Error {
	if password == "" {
		return apperr.Field("password", "Password is required")
	}
	if n := utf8.RuneCountInString(password); n < MinPasswordLen || n > MaxPasswordLen {
		return apperr.Field("password",
			fmt.Sprintf("Password must be between %d and %d characters", MinPasswordLen, MaxPasswordLen))
	}
	return nil
}
