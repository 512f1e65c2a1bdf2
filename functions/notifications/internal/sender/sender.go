// Package sender hands composed emails to an SMTP relay with go-mail: the
// relay named by an SMTP_URL, a multipart/alternative message of a text and
// an HTML part, an inline QR image where the email shows one, a Message-ID
// of the email's own (so a message sent twice after a crash is one message
// to the reader's client), and List-Unsubscribe headers for the kinds a
// user may stop.
package sender

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	qrcode "github.com/skip2/go-qrcode"
	gomail "github.com/wneessen/go-mail"

	"github.com/buytickets/buytickets/functions/notifications/internal/mail"
)

// Relay is where emails are handed over, as an SMTP_URL names it:
//
//	smtp://[user:password@]host[:port]   STARTTLS when the relay offers it
//	                                     (port 587 by default)
//	smtps://[user:password@]host[:port]  TLS from the start (port 465)
//
// With a user, the client authenticates with the strongest mechanism the
// relay offers.
type Relay struct {
	Host               string
	Port               int
	ImplicitTLS        bool
	Username, Password string
}

// ErrBadURL is an SMTP_URL that names no relay; its text never holds the
// URL, which may carry a password.
var ErrBadURL = errors.New("SMTP_URL must be smtp://[user:password@]host[:port] or smtps://…")

// ParseURL reads an SMTP_URL.
func ParseURL(s string) (Relay, error) {
	u, err := url.Parse(s)
	if err != nil || u.Hostname() == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return Relay{}, ErrBadURL
	}
	r := Relay{Host: u.Hostname()}
	switch u.Scheme {
	case "smtp":
		r.Port = 587
	case "smtps":
		r.Port, r.ImplicitTLS = 465, true
	default:
		return Relay{}, ErrBadURL
	}
	if p := u.Port(); p != "" {
		if r.Port, err = strconv.Atoi(p); err != nil || r.Port < 1 || r.Port > 65535 {
			return Relay{}, ErrBadURL
		}
	}
	if u.User != nil {
		r.Username = u.User.Username()
		r.Password, _ = u.User.Password()
	}
	return r, nil
}

// Envelope is one composed email and whom it goes to.
type Envelope struct {
	// ID is the email's id, which makes its Message-ID.
	ID      string
	To      string
	Message mail.Message
	// Unsubscribe, when set, is the one-click unsubscribe URL (RFC 8058).
	Unsubscribe string
}

// Sender sends emails from one address through one relay.
type Sender struct {
	relay   Relay
	from    *netmail.Address
	timeout time.Duration
}

// New returns the sender of emails from from (MAIL_FROM, such as
// "Buytickets <tickets@buytickets.dev>") through relay.
func New(relay Relay, from string) (*Sender, error) {
	addr, err := netmail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("MAIL_FROM %q is not an email address: %w", from, err)
	}
	return &Sender{relay: relay, from: addr, timeout: 30 * time.Second}, nil
}

// MessageID is the Message-ID (without angle brackets) of the email id:
// the same for every try, on the sender's domain.
func (s *Sender) MessageID(id string) string {
	domain := s.from.Address[strings.LastIndexByte(s.from.Address, '@')+1:]
	return id + "@" + domain
}

// Send hands e to the relay. An error that IsPermanent reports on will fail
// again as it is.
func (s *Sender) Send(ctx context.Context, e Envelope) error {
	m, err := s.message(e)
	if err != nil {
		return err
	}
	opts := []gomail.Option{gomail.WithPort(s.relay.Port), gomail.WithTimeout(s.timeout)}
	if s.relay.ImplicitTLS {
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if s.relay.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.relay.Username), gomail.WithPassword(s.relay.Password))
	}
	client, err := gomail.NewClient(s.relay.Host, opts...)
	if err != nil {
		return fmt.Errorf("sender: SMTP client: %w", err)
	}
	if err := client.DialAndSendWithContext(ctx, m); err != nil {
		return fmt.Errorf("sender: %s to the relay: %w", e.ID, err)
	}
	return nil
}

// message builds the MIME message of e.
func (s *Sender) message(e Envelope) (*gomail.Msg, error) {
	m := gomail.NewMsg()
	m.FromMailAddress(s.from)
	if err := m.To(e.To); err != nil {
		return nil, fmt.Errorf("%w: %v", errBadAddress, err)
	}
	m.Subject(e.Message.Subject)
	m.SetMessageIDWithValue(s.MessageID(e.ID))
	m.SetDate()
	m.SetBodyString(gomail.TypeTextPlain, e.Message.Text)
	m.AddAlternativeString(gomail.TypeTextHTML, e.Message.HTML)
	if e.Message.QR != "" {
		png, err := qrcode.Encode(e.Message.QR, qrcode.Medium, 256)
		if err != nil {
			return nil, fmt.Errorf("sender: QR of %s: %w", e.ID, err)
		}
		if err := m.EmbedReader("eticket.png", bytes.NewReader(png),
			gomail.WithFileContentID(mail.QRContentID), gomail.WithFileContentType("image/png")); err != nil {
			return nil, fmt.Errorf("sender: QR of %s: %w", e.ID, err)
		}
	}
	if e.Unsubscribe != "" {
		m.SetGenHeaderPreformatted(gomail.HeaderListUnsubscribe, "<"+e.Unsubscribe+">")
		m.SetGenHeader(gomail.HeaderListUnsubscribePost, "List-Unsubscribe=One-Click")
	}
	return m, nil
}

// errBadAddress is a recipient address no relay takes.
var errBadAddress = errors.New("sender: not an email address")

// IsPermanent reports whether err is a failure that trying again cannot
// mend: an address no relay takes, or the relay's permanent (5xx) refusal.
func IsPermanent(err error) bool {
	if errors.Is(err, errBadAddress) {
		return true
	}
	var se *gomail.SendError
	return errors.As(err, &se) && !se.IsTemp() && se.Reason == gomail.ErrSMTPRcptTo
}
