package notifications

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"sync"

	"github.com/buytickets/buytickets/shared/apperr"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/store"
)

// UnsubscribePath is where the links in non-transactional emails point.
const UnsubscribePath = "/api/notifications/unsubscribe"

// unsubscribeToken is the proof, in userID's unsubscribe link, that the link
// came from an email to them: an HMAC of the id, so links need no storing
// and cannot be made for another user.
func (f *Function) unsubscribeToken(userID string) string {
	mac := hmac.New(sha256.New, f.unsubKey)
	mac.Write([]byte(userID))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// unsubscribeLink is the one-click unsubscribe URL of userID.
func (f *Function) unsubscribeLink(userID string) string {
	return f.link(UnsubscribePath + "?" + url.Values{"u": {userID}, "t": {f.unsubscribeToken(userID)}}.Encode())
}

// errBadLink is an unsubscribe link that was not in an email of ours.
var errBadLink = apperr.Field("t", "This unsubscribe link is not valid; use the link in the email as it is")

// unsubscriber returns the user whose unsubscribe link r carries, or
// errBadLink.
func (f *Function) unsubscriber(r *http.Request) (string, error) {
	q := r.URL.Query()
	userID, token := q.Get("u"), q.Get("t")
	if !store.ValidID(userID) || !hmac.Equal([]byte(token), []byte(f.unsubscribeToken(userID))) {
		return "", errBadLink
	}
	return userID, nil
}

// unsubscribePage is parsed on first use, not at every cold start.
var unsubscribePage = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("unsubscribe").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · Buytickets</title></head>
<body><main>
<h1>{{.Title}}</h1>
<p>{{.Text}}</p>
{{if .Ask}}<form method="post"><button type="submit">Unsubscribe</button></form>{{end}}
</main></body></html>
`))
})

type unsubscribeView struct {
	Title, Text string
	Ask         bool
}

// handleUnsubscribeForm asks the reader of an unsubscribe link to confirm:
// a GET changes nothing, as link scanners follow links.
func (f *Function) handleUnsubscribeForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := f.unsubscriber(r); err != nil {
			httpx.Error(w, r, err)
			return
		}
		page(w, unsubscribeView{
			Title: "Stop expiry notices",
			Text:  "You will no longer receive an email when a reservation of yours expires. Emails about your purchases, e-tickets and refunds still come.",
			Ask:   true,
		})
	})
}

// handleUnsubscribe unsubscribes the link's user from non-transactional
// email: from the confirming form, or in one click from a mail client
// (RFC 8058). 200 with a page saying so, again and again.
func (f *Function) handleUnsubscribe() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		userID, err := f.unsubscriber(r)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		if err := f.store.OptOut(r.Context(), userID, f.now()); err != nil {
			httpx.Error(w, r, fmt.Errorf("store.OptOut: %w", err))
			return
		}
		page(w, unsubscribeView{Title: "Unsubscribed", Text: "You will no longer receive expiry notices."})
	})
}

func page(w http.ResponseWriter, v unsubscribeView) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = unsubscribePage().Execute(w, v) // a write error is the client's going away
}
