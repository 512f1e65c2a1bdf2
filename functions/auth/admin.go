package auth

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/functions/auth/internal/account"
	"github.com/buytickets/buytickets/shared/apperr"
	sharedauth "github.com/buytickets/buytickets/shared/auth"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/store"
)

// This file is the admins' part of auth: finding an account by email,
// banning it and lifting its ban. A ban revokes the account's sessions,
// refuses its sign-in, and tells every function through user.banned, so
// each refuses the user's requests from its own ban list.

// ErrBadUntil refuses a ban's end that is not an RFC 3339 time.
var ErrBadUntil = apperr.Field("until", "Until must be a time such as 2026-12-31T23:59:00Z")

// adminUser is an account as an admin's lookup shows it.
type adminUser struct {
	ID          string          `json:"id"`
	Email       string          `json:"email"`
	Role        sharedauth.Role `json:"role"`
	Banned      bool            `json:"banned"`
	BanReason   string          `json:"banReason,omitempty"`
	BannedUntil *httpx.Time     `json:"bannedUntil,omitempty"`
	CreatedAt   httpx.Time      `json:"createdAt"`
}

// banRequest is the body of a ban: a reason, and its end (RFC 3339) or
// none for a ban without end.
type banRequest struct {
	Reason string  `json:"reason"`
	Until  *string `json:"until"`
}

// banResponse is the account a ban or its lifting answers.
type banResponse struct {
	ID          string      `json:"id"`
	Email       string      `json:"email"`
	BannedUntil *httpx.Time `json:"bannedUntil,omitempty"`
}

// roleOf is the role of the account with email: admin when ADMIN_EMAILS
// names it.
func (f *Function) roleOf(email string) sharedauth.Role {
	if slices.Contains(f.admins, email) {
		return sharedauth.RoleAdmin
	}
	return sharedauth.RoleUser
}

// adminsOnly passes to h the requests of a signed-in admin whose own
// account is not suspended, and answers the others 401 Not authorized, or
// 403 Account suspended.
func (f *Function) adminsOnly(h http.Handler) http.Handler {
	return sharedauth.SignedIn(f.ft.Tokens)(sharedauth.RequireAdmin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := sharedauth.FromContext(r.Context())
		out, err := f.store.SignedOutToken(r.Context(), u.TokenID)
		if err != nil {
			httpx.Error(w, r, fmt.Errorf("store.SignedOutToken: %w", err))
			return
		}
		if out {
			httpx.Error(w, r, sharedauth.ErrNotAuthorized)
			return
		}
		admin, err := f.store.UserByID(r.Context(), u.ID)
		switch {
		case apperr.Is(err, apperr.NotFound):
			httpx.Error(w, r, sharedauth.ErrNotAuthorized)
		case err != nil:
			httpx.Error(w, r, fmt.Errorf("store.UserByID: %w", err))
		case admin.Suspended(f.ft.Now()):
			httpx.Error(w, r, sharedauth.ErrSuspended)
		default:
			h.ServeHTTP(w, r)
		}
	})))
}

// handleFindUsers answers GET /api/users?email=: the account with that
// email, as a list of one, or an empty list.
func (f *Function) handleFindUsers() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		email, err := account.NormalizeEmail(r.URL.Query().Get("email"))
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		found := []adminUser{}
		u, err := f.store.UserByEmail(r.Context(), email)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			httpx.Error(w, r, fmt.Errorf("store.UserByEmail: %w", err))
			return
		default:
			found = append(found, f.adminView(u))
		}
		httpx.JSON(w, http.StatusOK, found)
	})
}

// adminView is u as an admin's lookup shows it.
func (f *Function) adminView(u account.User) adminUser {
	now := f.ft.Now()
	view := adminUser{ID: u.ID(), Email: u.Email(), Role: f.roleOf(u.Email()), CreatedAt: httpx.TimeOf(u.CreatedAt())}
	if u.Suspended(now) {
		view.Banned, view.BanReason, view.BannedUntil = true, u.Ban().Reason, timeOrNil(u.Ban().Until)
	}
	return view
}

// handleBan bans the account of the path's id: 200 {id,email,bannedUntil?},
// and user.banned, in the transaction that revokes its sessions.
func (f *Function) handleBan() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in banRequest
		if err := httpx.Decode(w, r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		var until time.Time
		if in.Until != nil && strings.TrimSpace(*in.Until) != "" {
			t, err := time.Parse(time.RFC3339, strings.TrimSpace(*in.Until))
			if err != nil {
				httpx.Error(w, r, apperr.Fields{ErrBadUntil.With(err)}.Err())
				return
			}
			until = t
		}
		admin, _ := sharedauth.FromContext(r.Context())
		now := f.ft.Now()
		u, err := f.store.UpdateUser(r.Context(), r.PathValue("id"), now, true, func(u *account.User) ([]event.Event, error) {
			if err := u.BanBy(admin, in.Reason, until, now); err != nil {
				return nil, err
			}
			return userEvent(eventing.NewUserBanned, eventing.UserBanned{UserID: u.ID(), Until: untilOrNil(u.Ban().Until)})
		})
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		httpx.JSON(w, http.StatusOK, banResponse{ID: u.ID(), Email: u.Email(), BannedUntil: timeOrNil(u.Ban().Until)})
	})
}

// handleUnban lifts the ban of the account of the path's id: 200
// {id,email}, and user.unbanned.
func (f *Function) handleUnban() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := f.ft.Now()
		u, err := f.store.UpdateUser(r.Context(), r.PathValue("id"), now, false, func(u *account.User) ([]event.Event, error) {
			if err := u.Unban(now); err != nil {
				return nil, err
			}
			return userEvent(eventing.NewUserUnbanned, eventing.UserUnbanned{UserID: u.ID()})
		})
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		httpx.JSON(w, http.StatusOK, banResponse{ID: u.ID(), Email: u.Email()})
	})
}

// userEvent returns the one event newEvent makes of p.
func userEvent[P any](newEvent func(P) (event.Event, error), p P) ([]event.Event, error) {
	ev, err := newEvent(p)
	if err != nil {
		return nil, fmt.Errorf("eventing: %w", err)
	}
	return []event.Event{ev}, nil
}

// timeOrNil is t as an answer writes it, or nil for the zero time.
func timeOrNil(t time.Time) *httpx.Time {
	if t.IsZero() {
		return nil
	}
	at := httpx.TimeOf(t)
	return &at
}

// untilOrNil is a ban's end as user.banned carries it: nil for none.
func untilOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
