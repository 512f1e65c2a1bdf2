// Package store keeps accounts and refresh tokens in the shared document
// store, with the events a sign-up causes:
//
//	users/{id}             email, passwordHash, createdAt, and an admin's ban: bannedBy, banReason, bannedUntil, bannedAt
//	emails/{sha256(email)} userId: one per account, so an email is taken by a create
//	refreshFamilies/{id}   userId, revoked, createdAt, revokedAt
//	refreshTokens/{sha256(secret)} userId, familyId, expiresAt, rotated, rotatedAt, createdAt
//	outbox/{id}            the events to send (eventing/outbox)
//
// Documents are keyed by hashes where the natural key is an email (which may
// hold a '/', not allowed in an id) or a secret (which must not be stored).
package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing/outbox"
	"github.com/buytickets/buytickets/functions/auth/internal/account"
	"github.com/buytickets/buytickets/functions/auth/internal/session"
	sharedauth "github.com/buytickets/buytickets/shared/auth"
	"github.com/buytickets/buytickets/shared/store"
)

// The collections, exported for tests that look at what was stored.
const (
	// Users holds the accounts, by id.
	Users = "users"
	// Emails indexes the accounts by the hex SHA-256 of their email.
	Emails = "emails"
	// RefreshFamilies holds the sessions, each a chain of refresh tokens.
	RefreshFamilies = "refreshFamilies"
	// RefreshTokens holds the refresh tokens by the hex SHA-256 of their secret.
	RefreshTokens = "refreshTokens"
	// SigninFailures holds the wrong passwords in a row given for an
	// email, by the hex SHA-256 of the email, whether an account has it
	// or not.
	SigninFailures = "signinFailures"
	// SignedOut holds the access tokens signed out before they expire, by
	// their id (jti), until they would have.
	SignedOut = "signedOut"
)

// Collections returns every collection the package writes.
func Collections() []string {
	return []string{Users, Emails, RefreshFamilies, RefreshTokens, SigninFailures, SignedOut, outbox.Collection}
}

type userDoc struct {
	Email        string    `store:"email"`
	PasswordHash string    `store:"passwordHash"`
	CreatedAt    time.Time `store:"createdAt"`
	BannedBy     string    `store:"bannedBy,omitempty"`
	BanReason    string    `store:"banReason,omitempty"`
	BannedUntil  time.Time `store:"bannedUntil,omitempty"`
	BannedAt     time.Time `store:"bannedAt,omitempty"`
}

func userDocOf(u account.User) userDoc {
	b := u.Ban()
	return userDoc{
		Email: u.Email(), PasswordHash: u.PasswordHash(), CreatedAt: u.CreatedAt(),
		BannedBy: b.By, BanReason: b.Reason, BannedUntil: b.Until, BannedAt: b.At,
	}
}

func (d userDoc) toUser(id string) account.User {
	return account.UnmarshalFromStore(account.State{
		ID: id, Email: d.Email, PasswordHash: d.PasswordHash, CreatedAt: d.CreatedAt,
		Ban: account.Ban{By: d.BannedBy, Reason: d.BanReason, Until: d.BannedUntil, At: d.BannedAt},
	})
}

type emailDoc struct {
	UserID string `store:"userId"`
}

type familyDoc struct {
	UserID    string    `store:"userId"`
	Revoked   bool      `store:"revoked"`
	CreatedAt time.Time `store:"createdAt"`
	RevokedAt time.Time `store:"revokedAt,omitempty"`
}

type refreshDoc struct {
	UserID    string    `store:"userId"`
	FamilyID  string    `store:"familyId"`
	ExpiresAt time.Time `store:"expiresAt"`
	Rotated   bool      `store:"rotated"`
	RotatedAt time.Time `store:"rotatedAt,omitempty"`
	CreatedAt time.Time `store:"createdAt"`
}

func (d refreshDoc) toSession(id string) session.Refresh {
	return session.Refresh{
		ID: id, UserID: d.UserID, FamilyID: d.FamilyID, ExpiresAt: d.ExpiresAt, Rotated: d.Rotated, RotatedAt: d.RotatedAt,
	}
}

func (d familyDoc) toSession(id string) session.Family {
	return session.Family{ID: id, UserID: d.UserID, Revoked: d.Revoked}
}

// Store is the auth function's persistence. A sign-up is written in one
// transaction with the events it causes, which its outbox relays after
// commit.
type Store struct {
	db  store.Store
	box *outbox.Outbox
}

// New returns a Store on db that records events in box.
func New(db store.Store, box *outbox.Outbox) *Store { return &Store{db: db, box: box} }

// emailID is the id of an email's index document.
func emailID(email string) string {
	sum := sha256.Sum256([]byte(email))
	return hex.EncodeToString(sum[:])
}

// CreateUser stores a new account, the first refresh token of its first
// session and events, all in one transaction, and wakes the outbox once it
// commits. It returns account.ErrEmailInUse when another account holds the
// email: the index document's create is what decides, so of two racing
// sign-ups exactly one commits, and only its events are ever sent.
func (s *Store) CreateUser(ctx context.Context, u account.User, f session.Family, first session.Refresh, now time.Time, events ...event.Event) error {
	err := s.box.Commit(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := tx.Create(Users, u.ID(), userDocOf(u)); err != nil {
			return err
		}
		if err := tx.Create(Emails, emailID(u.Email()), emailDoc{UserID: u.ID()}); err != nil {
			return err
		}
		if err := createSession(tx, f, first, now); err != nil {
			return err
		}
		return s.box.Add(ctx, tx, events...)
	})
	if errors.Is(err, store.ErrConflict) {
		// The user's id is random: the email's index is what exists.
		return fmt.Errorf("%w: %w", account.ErrEmailInUse, err)
	}
	return err
}

// UserByEmail returns the account with a normalised email, or an error
// matching store.ErrNotFound when there is none.
func (s *Store) UserByEmail(ctx context.Context, email string) (account.User, error) {
	var idx emailDoc
	if err := s.db.Get(ctx, Emails, emailID(email), &idx); err != nil {
		return account.User{}, err
	}
	var d userDoc
	if err := s.db.Get(ctx, Users, idx.UserID, &d); err != nil {
		return account.User{}, err
	}
	return d.toUser(idx.UserID), nil
}

// StartSession stores a new family and its first refresh token.
func (s *Store) StartSession(ctx context.Context, f session.Family, first session.Refresh, now time.Time) error {
	return s.db.RunTransaction(ctx, func(ctx context.Context, tx store.Tx) error {
		return createSession(tx, f, first, now)
	})
}

func createSession(tx store.Tx, f session.Family, first session.Refresh, now time.Time) error {
	if err := tx.Create(RefreshFamilies, f.ID, familyDoc{UserID: f.UserID, Revoked: f.Revoked, CreatedAt: now}); err != nil {
		return err
	}
	return tx.Create(RefreshTokens, first.ID, refreshDoc{
		UserID: first.UserID, FamilyID: first.FamilyID, ExpiresAt: first.ExpiresAt, CreatedAt: now,
	})
}

// Rotation is the outcome of a successful Rotate.
type Rotation struct {
	// User is the account the token belongs to, for its new access token.
	User account.User
	// Next is the refresh token that replaced the one presented.
	Next session.Refresh
}

// Rotate exchanges the refresh token known by id for its successor known by
// nextID, valid for lifetime from now, in one transaction. The same token
// presented again within session.Grace answers the successor already stored
// (nextID is derived from the token, so every caller names the same one),
// and writes nothing. A token exchanged longer ago is a reuse: its family is
// revoked and that revocation committed before Rotate answers
// session.ErrReused. Every refusal is a session.Refused error (401)
// wrapping its reason.
func (s *Store) Rotate(ctx context.Context, id, nextID string, now time.Time, lifetime time.Duration) (Rotation, error) {
	var rot Rotation
	var refusal error
	err := s.db.RunTransaction(ctx, func(ctx context.Context, tx store.Tx) error {
		rot, refusal = Rotation{}, nil // fn may run more than once
		var rd refreshDoc
		if err := tx.Get(RefreshTokens, id, &rd); err != nil {
			return notFoundAs(err, session.ErrUnknown)
		}
		var fd familyDoc
		if err := tx.Get(RefreshFamilies, rd.FamilyID, &fd); err != nil {
			return notFoundAs(err, session.ErrUnknown)
		}
		tok, fam := rd.toSession(id), fd.toSession(rd.FamilyID)
		replay, err := tok.Check(fam, now)
		if err != nil && !errors.Is(err, session.ErrReused) {
			return session.Refused(err)
		}
		var next session.Refresh
		if err == nil && replay {
			next, err = successor(tx, tok, nextID)
		}
		switch {
		case errors.Is(err, session.ErrReused):
			// Commit the revocation; the refusal is answered after it.
			refusal = err
			fd.Revoked, fd.RevokedAt = true, now
			return tx.Set(RefreshFamilies, fam.ID, fd)
		case err != nil:
			return err
		}
		var ud userDoc
		if err := tx.Get(Users, tok.UserID, &ud); err != nil {
			return notFoundAs(err, session.ErrUnknown)
		}
		if ud.toUser(tok.UserID).Suspended(now) {
			// Banning revoked the user's sessions; one started meanwhile
			// is revoked now.
			refusal = sharedauth.ErrSuspended
			fd.Revoked, fd.RevokedAt = true, now
			return tx.Set(RefreshFamilies, fam.ID, fd)
		}
		if !replay {
			done := tok.Rotate(now)
			rd.Rotated, rd.RotatedAt = done.Rotated, done.RotatedAt
			if err := tx.Set(RefreshTokens, id, rd); err != nil {
				return err
			}
			next = tok.Next(nextID, now, lifetime)
			if err := tx.Create(RefreshTokens, next.ID, refreshDoc{
				UserID: next.UserID, FamilyID: next.FamilyID, ExpiresAt: next.ExpiresAt, CreatedAt: now,
			}); err != nil {
				return err
			}
		}
		rot = Rotation{
			User: ud.toUser(tok.UserID),
			Next: next,
		}
		return nil
	})
	switch {
	case err != nil:
		return Rotation{}, err
	case refusal != nil:
		return Rotation{}, session.Refused(refusal)
	}
	return rot, nil
}

// successor reads the successor tok was exchanged for, known by nextID. A
// successor that is not there, or not of tok's family, is not the one tok
// was exchanged for: the presenter is replaying a token without knowing its
// true successor, a reuse.
func successor(tx store.Tx, tok session.Refresh, nextID string) (session.Refresh, error) {
	var nd refreshDoc
	err := tx.Get(RefreshTokens, nextID, &nd)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return session.Refresh{}, session.ErrReused
	case err != nil:
		return session.Refresh{}, err
	case nd.FamilyID != tok.FamilyID:
		return session.Refresh{}, session.ErrReused
	}
	return nd.toSession(nextID), nil
}

// Revoke revokes the family of the refresh token known by id, so no token
// of it refreshes again. An unknown token or a family already revoked is
// not an error: signing out twice is signing out.
func (s *Store) Revoke(ctx context.Context, id string, now time.Time) error {
	return s.db.RunTransaction(ctx, func(ctx context.Context, tx store.Tx) error {
		var rd refreshDoc
		if err := tx.Get(RefreshTokens, id, &rd); errors.Is(err, store.ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		var fd familyDoc
		if err := tx.Get(RefreshFamilies, rd.FamilyID, &fd); errors.Is(err, store.ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		if fd.Revoked {
			return nil
		}
		fd.Revoked, fd.RevokedAt = true, now
		return tx.Set(RefreshFamilies, rd.FamilyID, fd)
	})
}

// UserByID returns the account id, or account.ErrUserNotFound.
func (s *Store) UserByID(ctx context.Context, id string) (account.User, error) {
	if !store.ValidID(id) {
		return account.User{}, account.ErrUserNotFound
	}
	var d userDoc
	if err := s.db.Get(ctx, Users, id, &d); errors.Is(err, store.ErrNotFound) {
		return account.User{}, account.ErrUserNotFound.With(err)
	} else if err != nil {
		return account.User{}, err
	}
	return d.toUser(id), nil
}

// UpdateUser reads the account id in one transaction, has change change
// it and say the events the change causes, and writes both; with
// endSessions, it also revokes every session of the account, so none
// refreshes again. It wakes the outbox once it commits, and returns the
// account as change left it: account.ErrUserNotFound for an unknown id, or
// change's error, with nothing written.
func (s *Store) UpdateUser(ctx context.Context, id string, now time.Time, endSessions bool,
	change func(u *account.User) ([]event.Event, error),
) (account.User, error) {
	if !store.ValidID(id) {
		return account.User{}, account.ErrUserNotFound
	}
	var u account.User
	err := s.box.Commit(ctx, func(ctx context.Context, tx store.Tx) error {
		var d userDoc
		if err := tx.Get(Users, id, &d); errors.Is(err, store.ErrNotFound) {
			return account.ErrUserNotFound.With(err)
		} else if err != nil {
			return err
		}
		var families []store.Doc
		if endSessions {
			var err error
			families, err = tx.Query(RefreshFamilies, store.Query{Filters: []store.Filter{store.Where("userId", store.Eq, id)}})
			if err != nil {
				return err
			}
		}
		u = d.toUser(id)
		events, err := change(&u)
		if err != nil {
			return err
		}
		if err := tx.Set(Users, id, userDocOf(u)); err != nil {
			return err
		}
		for _, doc := range families {
			var fd familyDoc
			if err := doc.DataTo(&fd); err != nil {
				return err
			}
			if fd.Revoked {
				continue
			}
			fd.Revoked, fd.RevokedAt = true, now
			if err := tx.Set(RefreshFamilies, doc.ID, fd); err != nil {
				return err
			}
		}
		return s.box.Add(ctx, tx, events...)
	})
	if err != nil {
		return account.User{}, err
	}
	return u, nil
}

type signedOutDoc struct {
	ExpiresAt time.Time `store:"expiresAt"`
}

// SignOut forgets the access token tokenID, which lives until expiresAt.
func (s *Store) SignOut(ctx context.Context, tokenID string, expiresAt time.Time) error {
	if !store.ValidID(tokenID) {
		return nil // a token without an id: it lives its few minutes out
	}
	return s.db.RunTransaction(ctx, func(ctx context.Context, tx store.Tx) error {
		return tx.Set(SignedOut, tokenID, signedOutDoc{ExpiresAt: expiresAt})
	})
}

// SignedOutToken reports whether the access token tokenID was signed out.
func (s *Store) SignedOutToken(ctx context.Context, tokenID string) (bool, error) {
	if !store.ValidID(tokenID) {
		return false, nil
	}
	var d signedOutDoc
	switch err := s.db.Get(ctx, SignedOut, tokenID, &d); {
	case errors.Is(err, store.ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}

type failuresDoc struct {
	Count int       `store:"count"`
	Last  time.Time `store:"last"`
}

// Failures returns the wrong passwords given in a row for email.
func (s *Store) Failures(ctx context.Context, email string) (account.Failures, error) {
	var d failuresDoc
	if err := s.db.Get(ctx, SigninFailures, emailID(email), &d); err != nil && !errors.Is(err, store.ErrNotFound) {
		return account.Failures{}, err
	}
	return account.Failures{Count: d.Count, Last: d.Last}, nil
}

// Failed counts one more wrong password for email at now.
func (s *Store) Failed(ctx context.Context, email string, now time.Time) error {
	return s.db.RunTransaction(ctx, func(ctx context.Context, tx store.Tx) error {
		var d failuresDoc
		if err := tx.Get(SigninFailures, emailID(email), &d); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		d.Count, d.Last = d.Count+1, now
		return tx.Set(SigninFailures, emailID(email), d)
	})
}

// Succeeded forgets the wrong passwords given for email.
func (s *Store) Succeeded(ctx context.Context, email string) error {
	return s.db.RunTransaction(ctx, func(ctx context.Context, tx store.Tx) error {
		return tx.Delete(SigninFailures, emailID(email))
	})
}

// notFoundAs turns a missing document into the refusal reason.
func notFoundAs(err, reason error) error {
	if errors.Is(err, store.ErrNotFound) {
		return session.Refused(reason)
	}
	return err
}
