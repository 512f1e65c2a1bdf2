package web

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/buytickets/buytickets/functions/web/internal/api"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/logging"
)

// maxCodeInput bounds what the check-in form sends on: a code is 124
// characters, and a person may type it with spaces.
const maxCodeInput = 512

// The answers of the check-in page, by kind. Each says in words what its
// colour and mark also say.
const (
	answerValid       = "valid"
	answerUsed        = "used"
	answerInvalid     = "invalid"
	answerRevoked     = "revoked"
	answerListed      = "listed"
	answerNotYours    = "not-yours"
	answerNoCode      = "no-code"
	answerUnavailable = "unavailable"
)

// checkinAnswer is what the check-in page says about a code.
type checkinAnswer struct {
	// Kind is one of the answer constants.
	Kind string
	// Mark is a symbol beside the heading; screen readers skip it.
	Mark string
	// Heading is the answer, in large type.
	Heading string
	// At is when the e-ticket was checked in, for a valid or used one,
	// when known.
	At *time.Time
	// Event is the title of the ticket the e-ticket admits to, when known.
	Event string
	// Detail says more: why, or what to do.
	Detail string
}

// Valid reports whether the code admits its holder now.
func (a checkinAnswer) Valid() bool { return a.Kind == answerValid }

// checkinPage is the content of the check-in page.
type checkinPage struct {
	// Answer is the answer about the code just sent; nil before any.
	Answer *checkinAnswer
	// Code is shown again in the field, when it may be mistyped.
	Code string
}

// checkinScripts offer the Scan button where the browser can read QR
// symbols from a camera.
var checkinScripts = []string{"/static/scan.js"}

// handleCheckinForm shows the form a seller checks e-tickets in with.
func (f *Function) handleCheckinForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := f.visit(w, r)
		if _, ok := v.requireUser(); !ok {
			return
		}
		v.render(http.StatusOK, "checkin", page{Title: "Check in", Content: checkinPage{}, Scripts: checkinScripts})
	})
}

// handleCheckin checks in the code sent for the signed-in seller and
// answers in large type whether it admits its holder: valid, already
// used, invalid, revoked or not the seller's event. The answer is shown,
// not redirected to, so the form is ready for the next code.
func (f *Function) handleCheckin() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := f.visit(w, r)
		v.back = "/checkin"
		if _, ok := v.requireUser(); !ok {
			return
		}
		code := strings.TrimSpace(r.PostFormValue("code"))
		var ans checkinAnswer
		var status int
		switch {
		case code == "":
			ans, status = checkinAnswer{Kind: answerNoCode, Mark: "✗", Heading: "No code",
				Detail: "Type or paste the code printed under the QR symbol."}, http.StatusBadRequest
		case len(code) > maxCodeInput:
			ans, status = invalidCode, http.StatusBadRequest
		default:
			ci, err := f.api.CheckIn(v.ctx(), v.session, code)
			signedIn := v.session.HasAccess()
			if api.StatusOf(err) == http.StatusUnauthorized && !signedIn {
				v.toSignIn() // the session ended meanwhile
				return
			}
			ans, status = checkinAnswerOf(ci, err)
			f.describe(v, code, &ans)
			if status == http.StatusServiceUnavailable {
				logging.FromContext(v.ctx()).WarnContext(v.ctx(), "check-in failed", slog.Any("error", err))
				w.Header().Set("Retry-After", httpx.RetryAfterSeconds)
			}
		}
		content := checkinPage{Answer: &ans}
		if ans.Kind == answerInvalid {
			content.Code = code // to correct a typing mistake
		}
		v.render(status, "checkin", page{Title: ans.Heading + " · Check in", Content: content, Scripts: checkinScripts})
	})
}

// invalidCode answers a code that is no e-ticket of ours.
var invalidCode = checkinAnswer{Kind: answerInvalid, Mark: "✗", Heading: "Invalid code",
	Detail: "This is not a Buytickets e-ticket code. Check that it was typed in full, or scan it again."}

// checkinAnswerOf is the answer to a check-in the API made (ci) or refused
// (err), and the page's status. The API tells a revoked or listed e-ticket
// from a mistyped code, all 400, only by its message. A 401 here is the API
// refusing a signed-in user who is not the ticket's seller. Any failure
// that is not a refusal asks to try again: the door must not get an error
// page.
func checkinAnswerOf(ci api.CheckIn, err error) (checkinAnswer, int) {
	switch status := api.StatusOf(err); {
	case err == nil:
		at := ci.CheckedInAt
		return checkinAnswer{Kind: answerValid, Mark: "✓", Heading: "Valid — checked in", At: &at}, http.StatusOK
	case status == http.StatusConflict:
		return checkinAnswer{Kind: answerUsed, Mark: "✗", Heading: "Already used", At: checkedInAt(err),
			Detail: "This e-ticket was checked in before: it admits nobody again."}, http.StatusConflict
	case status == http.StatusBadRequest && saysListed(err):
		return checkinAnswer{Kind: answerListed, Mark: "✗", Heading: "Listed for resale",
			Detail: "Its holder has put this e-ticket on sale again: it admits nobody until they stop reselling it."}, http.StatusBadRequest
	case status == http.StatusBadRequest && saysRevoked(err):
		return checkinAnswer{Kind: answerRevoked, Mark: "✗", Heading: "Revoked",
			Detail: "This e-ticket was revoked, because its payment was refunded: it admits nobody."}, http.StatusBadRequest
	case status == http.StatusBadRequest, status == http.StatusNotFound:
		return invalidCode, http.StatusBadRequest
	case status == http.StatusUnauthorized, status == http.StatusForbidden:
		detail := "Only the seller of this ticket can check it in."
		if status == http.StatusForbidden {
			detail = firstMessage(err, detail) // such as "Account suspended"
		}
		return checkinAnswer{Kind: answerNotYours, Mark: "✗", Heading: "Not your event", Detail: detail}, http.StatusForbidden
	default:
		return checkinAnswer{Kind: answerUnavailable, Mark: "!", Heading: "Could not check in",
			Detail: "We could not reach the marketplace just now. Please try again in a moment."}, http.StatusServiceUnavailable
	}
}

// describe adds to a valid or used answer the event the e-ticket admits
// to and, when the refusal did not say, when it was checked in; the
// seller may read the e-tickets of their tickets. Without them the answer
// still stands.
func (f *Function) describe(v *visit, code string, ans *checkinAnswer) {
	if ans.Kind != answerValid && ans.Kind != answerUsed {
		return
	}
	e, err := f.api.ETicket(v.ctx(), v.session, code)
	if err != nil {
		logging.FromContext(v.ctx()).WarnContext(v.ctx(), "checked-in e-ticket not read", slog.Any("error", err))
		return
	}
	ans.Event = e.Title
	if ans.At == nil {
		ans.At = e.CheckedInAt
	}
}

// checkedInAt reads the time of the API's "Already checked in at <time>",
// nil when it says none.
func checkedInAt(err error) *time.Time {
	_, at, ok := strings.Cut(firstMessage(err, ""), " at ")
	if !ok {
		return nil
	}
	t, perr := time.Parse(time.RFC3339, strings.TrimSpace(at))
	if perr != nil {
		return nil
	}
	return &t
}

// saysRevoked reports whether the API's refusal err says the e-ticket is
// revoked.
func saysRevoked(err error) bool {
	return strings.Contains(strings.ToLower(firstMessage(err, "")), "revoked")
}

// saysListed reports whether the API's refusal err says the e-ticket is
// listed for resale.
func saysListed(err error) bool {
	return strings.Contains(strings.ToLower(firstMessage(err, "")), "listed for resale")
}

// firstMessage returns the first message of the API's refusal err, or
// otherwise when it has none.
func firstMessage(err error, otherwise string) string {
	var e *api.Error
	if errors.As(err, &e) && len(e.Problems) > 0 {
		return e.Problems[0].Message
	}
	return otherwise
}
