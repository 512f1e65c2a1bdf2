// Package mail is what the marketplace writes to its users: one email per
// cause (an e-ticket issued, a ticket sold, a reservation expired, a
// payment refunded), composed from templates into a plain-text and an HTML
// part, and the rules of sending it: when to try again and when to give up.
// It knows nothing of SMTP or stores.
package mail

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"

	"github.com/buytickets/buytickets/shared/dispatch"
)

// Kind is what an email is about; each cause gets at most one of each kind.
type Kind string

// The kinds of email.
const (
	// Confirmation gives the buyer their e-ticket: its code and QR symbol.
	Confirmation Kind = "confirmation"
	// Sale tells the seller their ticket sold.
	Sale Kind = "sale"
	// Expired tells the buyer their unpaid reservation ended. It is the
	// one kind a user may unsubscribe from.
	Expired Kind = "expired"
	// Refund tells the buyer their payment was refunded.
	Refund Kind = "refund"
)

// Kinds is every kind, in a fixed order.
var Kinds = []Kind{Confirmation, Sale, Expired, Refund}

// Transactional reports whether an email of kind k is part of a purchase
// the user made, and so is sent whatever their preferences; the others
// carry a List-Unsubscribe header and are not sent once they opt out.
func (k Kind) Transactional() bool { return k != Expired }

// ID is the id of the email of kind k for cause (an order id): one cause,
// one email of each kind, however often its event is delivered.
func ID(k Kind, cause string) string { return string(k) + "-" + cause }

// Facts are what an email tells; which are set depends on its kind.
type Facts struct {
	// OrderID is the order the email is about.
	OrderID string
	// TicketID is the ticket the order is for.
	TicketID string
	// Title is the ticket's title, as the buyer saw it.
	Title string
	// Amount is the price, the sale's proceeds or the refund, in cents.
	Amount int64
	// Code is the e-ticket's code (Confirmation).
	Code string
	// Admits says what the ticket admits to, in one line (Admits); "" when
	// its listing said nothing.
	Admits string
}

// Admits is the line that says what a ticket admits to: the event's name,
// its start in UTC (an email's reader may be anywhere, so the zone is
// named), its venue and city, and the seat, each left out when unknown;
// "" for a ticket that names no event and no seat.
func Admits(name, venue, city string, startsAt time.Time, section, row, number string) string {
	var parts []string
	if name != "" {
		parts = append(parts, name)
	}
	if !startsAt.IsZero() {
		parts = append(parts, startsAt.UTC().Format("Mon 2 Jan 2006, 15:04 MST"))
	}
	if place := joinNonEmpty(", ", venue, city); place != "" {
		parts = append(parts, place)
	}
	var seat []string
	if section != "" {
		seat = append(seat, "section "+section)
	}
	if row != "" {
		seat = append(seat, "row "+row)
	}
	if number != "" {
		seat = append(seat, "seat "+number)
	}
	if len(seat) > 0 {
		parts = append(parts, strings.Join(seat, ", "))
	}
	return strings.Join(parts, " · ")
}

// joinNonEmpty joins the parts that are not empty with sep.
func joinNonEmpty(sep string, parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, sep)
}

// Links are the addresses an email points its reader to.
type Links struct {
	// Order is the order's page.
	Order string
	// Ticket is the ticket's page.
	Ticket string
	// Unsubscribe stops emails of this kind (non-transactional kinds).
	Unsubscribe string
}

// Message is an email composed, ready for an SMTP client.
type Message struct {
	Subject string
	Text    string
	HTML    string
	// QR is the code to show as an inline QR image (cid:QRContentID); ""
	// when the email shows none.
	QR string
}

// QRContentID is the Content-ID the HTML part names the inline QR image by.
const QRContentID = "eticket-qr"

//go:embed templates
var files embed.FS

// textTemplates and htmlTemplates hold the subject, text and HTML
// templates of each kind, parsed on the first email rather than at
// package init, where they cost every cold start of notifications.
var (
	textTemplates = sync.OnceValue(func() *texttemplate.Template {
		return texttemplate.Must(texttemplate.New("").Funcs(funcs).ParseFS(files, "templates/*.txt"))
	})
	htmlTemplates = sync.OnceValue(func() *htmltemplate.Template {
		return htmltemplate.Must(htmltemplate.New("").Funcs(funcs).ParseFS(files, "templates/*.html"))
	})
)

var funcs = map[string]any{"dollars": Dollars}

// Dollars formats cents as a dollar amount: 2050 → "$20.50".
func Dollars(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s$%d.%02d", sign, cents/100, cents%100)
}

// ErrUnknownKind is a kind with no templates.
var ErrUnknownKind = errors.New("mail: unknown kind")

// Compose writes the email of kind k that tells facts, pointing to links.
func Compose(k Kind, facts Facts, links Links) (Message, error) {
	if textTemplates().Lookup(string(k)+".txt") == nil {
		return Message{}, fmt.Errorf("%w %q", ErrUnknownKind, k)
	}
	data := struct {
		Facts
		Links
		QRContentID string
	}{facts, links, QRContentID}
	var subject, text, html bytes.Buffer
	if err := textTemplates().ExecuteTemplate(&subject, string(k)+".subject.txt", data); err != nil {
		return Message{}, fmt.Errorf("mail.Compose %s subject: %w", k, err)
	}
	if err := textTemplates().ExecuteTemplate(&text, string(k)+".txt", data); err != nil {
		return Message{}, fmt.Errorf("mail.Compose %s text: %w", k, err)
	}
	if err := htmlTemplates().ExecuteTemplate(&html, string(k)+".html", data); err != nil {
		return Message{}, fmt.Errorf("mail.Compose %s HTML: %w", k, err)
	}
	m := Message{Subject: strings.Join(strings.Fields(subject.String()), " "), Text: text.String(), HTML: html.String()}
	if k == Confirmation {
		m.QR = facts.Code
	}
	return m, nil
}

// The sending rules.
const (
	// GiveUpAfter is how long an email is tried before it is dropped: its
	// address never became known, or the SMTP relay kept refusing it.
	GiveUpAfter = 7 * 24 * time.Hour
	// Lease is how long a claimed email is left to its sender: past it,
	// another sender takes it, as when the first crashed mid-send.
	Lease = 2 * time.Minute
	// MinRetry and MaxRetry bound the delay before the next try of an
	// email whose try failed.
	MinRetry = 5 * time.Second
	MaxRetry = 30 * time.Minute
)

// Retry is the delay before try number attempts+1 of an email whose
// attempts tries failed: doubling from MinRetry up to MaxRetry, with
// jitter, so a relay that is down is not hammered.
func Retry(attempts int) time.Duration {
	return dispatch.Backoff{Min: MinRetry, Max: MaxRetry}.Delay(attempts)
}

// GivenUp reports whether an email created at created is dropped at now
// instead of being tried again.
func GivenUp(created, now time.Time) bool { return now.Sub(created) >= GiveUpAfter }
