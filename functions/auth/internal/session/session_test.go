package session_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/buytickets/buytickets/functions/auth/internal/session"
	"github.com/buytickets/buytickets/shared/apperr"
)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func TestSecretsAreRandomAndKnownOnlyByTheirHash(t *testing.T) {
	t.Parallel()
	a, aID := session.NewSecret()
	b, bID := session.NewSecret()
	if a == b || aID == bID {
		t.Fatal("two secrets are equal")
	}
	if len(a) != 43 || len(aID) != 64 {
		t.Errorf("secret has %d characters, id %d; want 43 (256 bits) and 64 (hex SHA-256)", len(a), len(aID))
	}
	if strings.Contains(aID, a) {
		t.Error("the id contains the secret")
	}
	got, err := session.IDOf(a)
	if err != nil || got != aID {
		t.Errorf("IDOf(secret) = %q, %v; want %q", got, err, aID)
	}
}

func TestIDOfRefusesWhatNoSecretLooksLike(t *testing.T) {
	t.Parallel()
	secret, _ := session.NewSecret()
	for _, s := range []string{"", "x", secret[:42], secret + "A", strings.Repeat("!", 43), secret[:42] + "="} {
		if _, err := session.IDOf(s); !errors.Is(err, session.ErrUnknown) {
			t.Errorf("IDOf(%q) = %v, want ErrUnknown", s, err)
		}
	}
}

func TestStartBeginsAFamily(t *testing.T) {
	t.Parallel()
	secret, f, r := session.Start("user-1", t0, time.Hour)
	id, _ := session.IDOf(secret)
	if r.ID != id || r.UserID != "user-1" || r.FamilyID != f.ID || f.UserID != "user-1" || f.Revoked || r.Rotated {
		t.Errorf("Start = %+v, %+v", f, r)
	}
	if !r.ExpiresAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("ExpiresAt = %v, want %v", r.ExpiresAt, t0.Add(time.Hour))
	}
	next := r.Next("next", t0.Add(time.Minute), time.Hour)
	if next.ID != "next" || next.FamilyID != f.ID || next.UserID != "user-1" || next.Rotated ||
		!next.ExpiresAt.Equal(t0.Add(time.Minute+time.Hour)) {
		t.Errorf("Next = %+v", next)
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	live := session.Refresh{ID: "a", UserID: "u", FamilyID: "f", ExpiresAt: t0.Add(time.Hour)}
	rotated := live.Rotate(t0)
	fam := session.Family{ID: "f", UserID: "u"}
	revoked := fam
	revoked.Revoked = true
	tests := []struct {
		name       string
		r          session.Refresh
		f          session.Family
		at         time.Time
		wantReplay bool
		want       error
	}{
		{"live token", live, fam, t0, false, nil},
		{"a moment before expiry", live, fam, t0.Add(time.Hour - time.Millisecond), false, nil},
		{"at expiry", live, fam, t0.Add(time.Hour), false, session.ErrExpired},
		{"after expiry", live, fam, t0.Add(2 * time.Hour), false, session.ErrExpired},
		{"rotated token used again at once", rotated, fam, t0, true, nil},
		{"rotated token used again within the grace", rotated, fam, t0.Add(session.Grace - time.Millisecond), true, nil},
		{"rotated token used again at the end of the grace", rotated, fam, t0.Add(session.Grace), false, session.ErrReused},
		{"rotated token used again later", rotated, fam, t0.Add(time.Minute), false, session.ErrReused},
		{"revoked family", live, revoked, t0, false, session.ErrRevoked},
		{"rotated token of a revoked family, within the grace", rotated, revoked, t0, false, session.ErrRevoked},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			replay, err := tc.r.Check(tc.f, tc.at)
			if replay != tc.wantReplay || !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("Check = %v, %v; want %v, %v", replay, err, tc.wantReplay, tc.want)
			}
		})
	}
}

func TestTheSuccessorOfASecretIsTheSameEachTimeAndKnownOnlyWithTheKey(t *testing.T) {
	t.Parallel()
	secret, _ := session.NewSecret()
	s := session.NewSuccessors([]byte("a server key of at least 32 bytes!"))
	next, nextID, err := s.Of(secret)
	if err != nil {
		t.Fatal(err)
	}
	if again, againID, _ := s.Of(secret); again != next || againID != nextID {
		t.Error("the same secret has two successors")
	}
	if id, err := session.IDOf(next); err != nil || id != nextID {
		t.Errorf("the successor's ID is %q, %v; want %q, what IDOf finds for it", id, err, nextID)
	}
	if next == secret {
		t.Error("a secret is its own successor")
	}
	if other, _, _ := session.NewSuccessors([]byte("another server key, 32 bytes long")).Of(secret); other == next {
		t.Error("another key derives the same successor")
	}
	secret2, _ := session.NewSecret()
	if next2, _, _ := s.Of(secret2); next2 == next {
		t.Error("two secrets have one successor")
	}
	for _, bad := range []string{"", "not base64!", "c2hvcnQ"} {
		if _, _, err := s.Of(bad); !errors.Is(err, session.ErrUnknown) {
			t.Errorf("Of(%q) = %v, want ErrUnknown", bad, err)
		}
	}
}

func TestRefusedIsNotAuthorizedAndKeepsItsReason(t *testing.T) {
	t.Parallel()
	err := session.Refused(session.ErrReused)
	var e *apperr.Error
	if !errors.As(err, &e) || e.Kind != apperr.Unauthorized || e.Message != "Not authorized" {
		t.Errorf("Refused = %v, want Unauthorized \"Not authorized\"", err)
	}
	if !errors.Is(err, session.ErrReused) || errors.Is(err, session.ErrExpired) {
		t.Errorf("Refused(ErrReused) does not tell its reason apart: %v", err)
	}
}
