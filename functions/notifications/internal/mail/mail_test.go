package mail_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/buytickets/buytickets/functions/notifications/internal/mail"
)

var links = mail.Links{
	Order:       "https://buytickets.dev/orders/o1",
	Ticket:      "https://buytickets.dev/tickets/t1",
	Unsubscribe: "https://buytickets.dev/api/notifications/unsubscribe?u=buyer&t=x",
}

func TestEachKindTellsItsFactsInBothParts(t *testing.T) {
	t.Parallel()
	facts := mail.Facts{OrderID: "o1", TicketID: "t1", Title: "Concert", Amount: 2050, Code: "ABCD-EFGH"}
	tests := []struct {
		kind    mail.Kind
		subject string
		tells   []string // in the text and the HTML part
		link    string
		qr      string
	}{
		{mail.Confirmation, "Your e-ticket: Concert", []string{"Concert", "ABCD-EFGH"}, links.Order, "ABCD-EFGH"},
		{mail.Sale, "Your ticket sold: Concert", []string{"Concert", "$20.50"}, links.Ticket, ""},
		{mail.Expired, "Your reservation expired: Concert", []string{"Concert", "$20.50", links.Unsubscribe}, links.Ticket, ""},
		{mail.Refund, "Your refund for Concert", []string{"Concert", "$20.50"}, links.Order, ""},
	}
	for _, tc := range tests {
		t.Run(string(tc.kind), func(t *testing.T) {
			t.Parallel()
			m, err := mail.Compose(tc.kind, facts, links)
			if err != nil {
				t.Fatal(err)
			}
			if m.Subject != tc.subject {
				t.Errorf("subject %q, want %q", m.Subject, tc.subject)
			}
			for _, want := range append(tc.tells, tc.link) {
				if !strings.Contains(m.Text, want) {
					t.Errorf("text lacks %q:\n%s", want, m.Text)
				}
				if !strings.Contains(m.HTML, strings.ReplaceAll(want, "&", "&amp;")) {
					t.Errorf("HTML lacks %q:\n%s", want, m.HTML)
				}
			}
			if m.QR != tc.qr {
				t.Errorf("QR %q, want %q", m.QR, tc.qr)
			}
			if tc.qr != "" && !strings.Contains(m.HTML, `src="cid:`+mail.QRContentID+`"`) {
				t.Errorf("HTML does not show the inline QR image:\n%s", m.HTML)
			}
		})
	}
}

func TestATitleIsShownAsTextNeverAsMarkup(t *testing.T) {
	t.Parallel()
	m, err := mail.Compose(mail.Sale, mail.Facts{Title: `<script>alert(1)</script> & "friends"`, Amount: 100}, links)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.HTML, "<script>") || !strings.Contains(m.HTML, "&lt;script&gt;") {
		t.Errorf("HTML part shows the title as markup:\n%s", m.HTML)
	}
}

func TestAnEmailWithoutTheTitleStillReads(t *testing.T) {
	t.Parallel()
	m, err := mail.Compose(mail.Expired, mail.Facts{OrderID: "o1", TicketID: "t1"}, links)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Your reservation expired" || !strings.Contains(m.Text, "Your reservation of a ticket expired") {
		t.Errorf("subject %q, text:\n%s", m.Subject, m.Text)
	}
}

func TestAnUnknownKindIsRefused(t *testing.T) {
	t.Parallel()
	if _, err := mail.Compose("newsletter", mail.Facts{}, links); !errors.Is(err, mail.ErrUnknownKind) {
		t.Errorf("Compose(newsletter) = %v, want ErrUnknownKind", err)
	}
}

func TestOnlyTheExpiryNoticeCanBeUnsubscribedFrom(t *testing.T) {
	t.Parallel()
	for _, k := range mail.Kinds {
		if got, want := k.Transactional(), k != mail.Expired; got != want {
			t.Errorf("%s.Transactional() = %v, want %v", k, got, want)
		}
	}
}

func TestDollarsWritesCentsAsAPrice(t *testing.T) {
	t.Parallel()
	for cents, want := range map[int64]string{0: "$0.00", 5: "$0.05", 2050: "$20.50", 99999999: "$999999.99", -150: "-$1.50"} {
		if got := mail.Dollars(cents); got != want {
			t.Errorf("Dollars(%d) = %q, want %q", cents, got, want)
		}
	}
}

func TestRetriesSpreadOutUpToTheCeilingAndGiveUpAfterAWeek(t *testing.T) {
	t.Parallel()
	for attempts := 1; attempts < 30; attempts++ {
		if d := mail.Retry(attempts); d < mail.MinRetry/2 || d > mail.MaxRetry {
			t.Errorf("Retry(%d) = %v, want between %v and %v", attempts, d, mail.MinRetry/2, mail.MaxRetry)
		}
	}
	created := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	if mail.GivenUp(created, created.Add(mail.GiveUpAfter-time.Second)) || !mail.GivenUp(created, created.Add(mail.GiveUpAfter)) {
		t.Errorf("GivenUp is not exactly GiveUpAfter after creation")
	}
	if mail.ID(mail.Sale, "o1") != "sale-o1" {
		t.Errorf("ID(sale, o1) = %q", mail.ID(mail.Sale, "o1"))
	}
}

func TestAnEmailSaysWhatTheTicketAdmitsToInOneLine(t *testing.T) {
	t.Parallel()
	at := time.Date(2027, 6, 1, 18, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	for _, tc := range []struct {
		name                       string
		event, venue, city         string
		startsAt                   time.Time
		section, row, number, want string
	}{
		{"everything", "Spring Gala", "Salle Pleyel", "Paris", at, "Balcony", "C", "12",
			"Spring Gala · Tue 1 Jun 2027, 16:00 UTC · Salle Pleyel, Paris · section Balcony, row C, seat 12"},
		{"an event without a place or seat", "Gig", "", "", at, "", "", "", "Gig · Tue 1 Jun 2027, 16:00 UTC"},
		{"a city alone and a seat number", "Gig", "", "Lyon", at, "", "", "7", "Gig · Tue 1 Jun 2027, 16:00 UTC · Lyon · seat 7"},
		{"nothing", "", "", "", time.Time{}, "", "", "", ""},
	} {
		if got := mail.Admits(tc.event, tc.venue, tc.city, tc.startsAt, tc.section, tc.row, tc.number); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
