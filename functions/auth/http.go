package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/functions/auth/internal/account"
	"github.com/buytickets/buytickets/functions/auth/internal/session"
	authstore "github.com/buytickets/buytickets/functions/auth/internal/store"
	"github.com/buytickets/buytickets/shared/apperr"
	sharedauth "github.com/buytickets/buytickets/shared/auth"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/logging"
	"github.com/buytickets/buytickets/shared/store"
)

// credentialsRequest is the body of a sign-up and a sign-in.
type credentialsRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// userResponse is the account as sign-up, sign-in and refresh answer it.
type userResponse struct {
	ID    string `json:"id"`
	Email string `json:"email"`
}

// currentUserResponse is the answer of currentuser; CurrentUser is null
// when the request is signed out.
type currentUserResponse struct {
	CurrentUser *sharedauth.User `json:"currentUser"`
}

// errNoRefreshCookie is a refresh or sign-out without a refresh cookie.
var errNoRefreshCookie = errors.New("no refresh cookie")

// handleSignup creates an account, emits user.registered and signs the
// account in: 201 {id,email}. A refused sign-up emits nothing.
func (f *Function) handleSignup() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in credentialsRequest
		if err := httpx.Decode(w, r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		creds, err := account.ParseSignup(in.Email, in.Password)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		// Hashed before the transaction, which may run more than once.
		hash, err := f.passwords.Hash(r.Context(), creds.Password)
		if err != nil {
			httpx.Error(w, r, fmt.Errorf("password.Hash: %w", err))
			return
		}
		now := f.ft.Now()
		u := account.New(creds.Email, hash, now)
		ev, err := registeredEvent(u)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		secret, fam, first := session.Start(u.ID(), now, f.refreshLifetime)
		if err := f.store.CreateUser(r.Context(), u, fam, first, now, ev); err != nil {
			httpx.Error(w, r, fmt.Errorf("store.CreateUser: %w", err))
			return
		}
		f.signIn(w, r, http.StatusCreated, u, secret, first)
	})
}

// registeredEvent returns the user.registered event of the new account u.
func registeredEvent(u account.User) (event.Event, error) {
	ev, err := eventing.NewUserRegistered(eventing.UserRegistered{ID: u.ID(), Email: u.Email()})
	if err != nil {
		return event.Event{}, fmt.Errorf("eventing.NewUserRegistered: %w", err)
	}
	return ev, nil
}

// handleSignin checks an email and password and starts a session: 200
// {id,email}, or 400 "Invalid credentials" whichever of the two is wrong.
func (f *Function) handleSignin() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in credentialsRequest
		if err := httpx.Decode(w, r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		creds, err := account.ParseSignin(in.Email, in.Password)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		u, err := f.authenticateLimited(r.Context(), creds)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		now := f.ft.Now()
		if u.Suspended(now) {
			// Told only to who knows the password.
			httpx.Error(w, r, sharedauth.ErrSuspended)
			return
		}
		secret, fam, first := session.Start(u.ID(), now, f.refreshLifetime)
		if err := f.store.StartSession(r.Context(), fam, first, now); err != nil {
			httpx.Error(w, r, fmt.Errorf("store.StartSession: %w", err))
			return
		}
		f.signIn(w, r, http.StatusOK, u, secret, first)
	})
}

// authenticateLimited is authenticate for an account whose wrong passwords
// in a row are counted: while they make it wait (account.Failures), no hash
// is spent on it and the answer is 429; a wrong password adds one; the
// right one forgets them.
func (f *Function) authenticateLimited(ctx context.Context, creds account.Credentials) (account.User, error) {
	failures, err := f.store.Failures(ctx, creds.Email)
	if err != nil {
		return account.User{}, fmt.Errorf("store.Failures: %w", err)
	}
	if err := failures.Check(f.ft.Now()); err != nil {
		return account.User{}, err
	}
	u, err := f.authenticate(ctx, creds)
	switch {
	case errors.Is(err, account.ErrInvalidCredentials):
		if ferr := f.store.Failed(ctx, creds.Email, f.ft.Now()); ferr != nil {
			return account.User{}, fmt.Errorf("store.Failed: %w", ferr)
		}
	case err == nil && failures.Count > 0:
		if serr := f.store.Succeeded(ctx, creds.Email); serr != nil {
			return account.User{}, fmt.Errorf("store.Succeeded: %w", serr)
		}
	}
	return u, err
}

// authenticate returns the account creds name when the password is its
// password, and account.ErrInvalidCredentials otherwise. An unknown email
// costs a hash too, so the time taken does not tell it from a wrong password.
func (f *Function) authenticate(ctx context.Context, creds account.Credentials) (account.User, error) {
	u, err := f.store.UserByEmail(ctx, creds.Email)
	if errors.Is(err, store.ErrNotFound) {
		if err := f.passwords.VerifyNone(ctx, creds.Password); err != nil {
			return account.User{}, fmt.Errorf("password.VerifyNone: %w", err)
		}
		return account.User{}, account.ErrInvalidCredentials
	}
	if err != nil {
		return account.User{}, fmt.Errorf("store.UserByEmail: %w", err)
	}
	ok, err := f.passwords.Verify(ctx, creds.Password, u.PasswordHash())
	if err != nil {
		return account.User{}, fmt.Errorf("password.Verify: user %s: %w", u.ID(), err)
	}
	if !ok {
		return account.User{}, account.ErrInvalidCredentials
	}
	return u, nil
}

// handleRefresh exchanges the refresh cookie for its successor and a new
// access token: 200 {id,email}, or 401 with both cookies cleared.
func (f *Function) handleRefresh() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rot, secret, err := f.rotate(r)
		if apperr.Is(err, apperr.Unauthorized) {
			f.refuseRefresh(w, r, err)
			return
		}
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		f.signIn(w, r, http.StatusOK, rot.User, secret, rot.Next)
	})
}

// rotate exchanges the request's refresh cookie for its successor: the
// rotation and the successor's secret, or a session.Refused error.
func (f *Function) rotate(r *http.Request) (authstore.Rotation, string, error) {
	secret, err := refreshSecret(r)
	if err != nil {
		return authstore.Rotation{}, "", session.Refused(err)
	}
	id, err := session.IDOf(secret)
	if err != nil {
		return authstore.Rotation{}, "", session.Refused(err)
	}
	next, nextID, err := f.successors.Of(secret)
	if err != nil {
		return authstore.Rotation{}, "", session.Refused(err)
	}
	rot, err := f.store.Rotate(r.Context(), id, nextID, f.ft.Now(), f.refreshLifetime)
	if err != nil {
		return authstore.Rotation{}, "", fmt.Errorf("store.Rotate: %w", err)
	}
	return rot, next, nil
}

// refuseRefresh answers a refused refresh 401 and clears the cookies, so
// the browser stops presenting a dead token.
func (f *Function) refuseRefresh(w http.ResponseWriter, r *http.Request, err error) {
	logRefusal(r, err)
	f.cookies.Clear(w)
	httpx.Error(w, r, err)
}

// logRefusal logs why a refresh cookie was refused; a reuse is a warning.
func logRefusal(r *http.Request, err error) {
	level := slog.LevelInfo
	if errors.Is(err, session.ErrReused) {
		level = slog.LevelWarn // a stolen token, or a client that replays
	}
	logging.FromContext(r.Context()).Log(r.Context(), level, "refresh refused", slog.Any("reason", err))
}

// handleSignout revokes the session of the refresh cookie, if any, and
// clears both cookies: 200 {}.
func (f *Function) handleSignout() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id, err := refreshID(r); err == nil {
			if err := f.store.Revoke(r.Context(), id, f.ft.Now()); err != nil {
				httpx.Error(w, r, fmt.Errorf("store.Revoke: %w", err))
				return
			}
		}
		// The access token too, for auth: currentuser and the admins' API
		// no longer take it. Other functions take it until it expires, at
		// most the access lifetime (15 minutes) later.
		if u, ok := sharedauth.FromContext(r.Context()); ok {
			if err := f.store.SignOut(r.Context(), u.TokenID, u.ExpiresAt); err != nil {
				httpx.Error(w, r, fmt.Errorf("store.SignOut: %w", err))
				return
			}
		}
		f.cookies.Clear(w)
		httpx.JSON(w, http.StatusOK, struct{}{})
	})
}

// handleCurrentUser answers who the access token says the caller is:
// {"currentUser":{id,email,iat,exp}}. Without a valid access token, a
// valid refresh cookie is exchanged as a refresh would, and the answer is
// the user with fresh cookies (the seed's client never calls refresh, but
// asks this on every page); with neither, {"currentUser":null}, never an
// error, and a refused refresh cookie is cleared.
func (f *Function) handleCurrentUser() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if u, ok := sharedauth.FromContext(r.Context()); ok {
			out, err := f.store.SignedOutToken(r.Context(), u.TokenID)
			if err != nil {
				httpx.Error(w, r, fmt.Errorf("store.SignedOutToken: %w", err))
				return
			}
			if !out {
				httpx.JSON(w, http.StatusOK, currentUserResponse{CurrentUser: &u})
				return
			}
		}
		if sharedauth.RefreshToken(r) == "" {
			httpx.JSON(w, http.StatusOK, currentUserResponse{})
			return
		}
		rot, secret, err := f.rotate(r)
		if apperr.Is(err, apperr.Unauthorized) {
			logRefusal(r, err)
			f.cookies.Clear(w)
			httpx.JSON(w, http.StatusOK, currentUserResponse{})
			return
		}
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		u, err := f.startSession(w, rot.User, secret, rot.Next)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		httpx.JSON(w, http.StatusOK, currentUserResponse{CurrentUser: &u})
	})
}

// signIn sets the session cookie to a new access token for u and the
// refresh cookie to secret, and answers status {id,email}.
func (f *Function) signIn(w http.ResponseWriter, r *http.Request, status int, u account.User, secret string, refresh session.Refresh) {
	if _, err := f.startSession(w, u, secret, refresh); err != nil {
		httpx.Error(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.JSON(w, status, userResponse{ID: u.ID(), Email: u.Email()})
}

// startSession sets the session cookie to a new access token for u and the
// refresh cookie to secret, and returns the user the access token names.
func (f *Function) startSession(w http.ResponseWriter, u account.User, secret string, refresh session.Refresh) (sharedauth.User, error) {
	token, claims, err := f.ft.Tokens.IssueAs(u.ID(), u.Email(), f.roleOf(u.Email()))
	if err != nil {
		return sharedauth.User{}, fmt.Errorf("auth.Tokens.Issue: %w", err)
	}
	f.cookies.SetSession(w, token, claims.ExpiresAt)
	f.cookies.SetRefresh(w, secret, refresh.ExpiresAt)
	return claims, nil
}

// refreshSecret returns the secret of the request's refresh cookie.
func refreshSecret(r *http.Request) (string, error) {
	secret := sharedauth.RefreshToken(r)
	if secret == "" {
		return "", errNoRefreshCookie
	}
	return secret, nil
}

// refreshID returns the store id of the request's refresh cookie.
func refreshID(r *http.Request) (string, error) {
	secret, err := refreshSecret(r)
	if err != nil {
		return "", err
	}
	return session.IDOf(secret)
}
