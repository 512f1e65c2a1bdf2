package sender_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/buytickets/buytickets/functions/notifications/internal/sender"
)

func TestSMTPURLsNameARelay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url  string
		want sender.Relay
	}{
		{"smtp://localhost:1025", sender.Relay{Host: "localhost", Port: 1025}},
		{"smtp://smtp.example.com", sender.Relay{Host: "smtp.example.com", Port: 587}},
		{"smtps://smtp.example.com", sender.Relay{Host: "smtp.example.com", Port: 465, ImplicitTLS: true}},
		{"smtp://apikey:s%3Acret@smtp.sendgrid.net:587", sender.Relay{Host: "smtp.sendgrid.net", Port: 587, Username: "apikey", Password: "s:cret"}},
		{"smtp://[::1]:25/", sender.Relay{Host: "::1", Port: 25}},
	}
	for _, tc := range tests {
		got, err := sender.ParseURL(tc.url)
		if err != nil || got != tc.want {
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v", tc.url, got, err, tc.want)
		}
	}
}

func TestSMTPURLsThatNameNoRelayAreRefusedWithoutTheirPassword(t *testing.T) {
	t.Parallel()
	for _, u := range []string{
		"", "localhost:25", "http://smtp.example.com", "smtp://", "smtp://host:0", "smtp://host:70000",
		"smtp://host:port", "smtp://user:hunter2@host/path", "smtp://host?tls=off",
	} {
		_, err := sender.ParseURL(u)
		if !errors.Is(err, sender.ErrBadURL) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("ParseURL(%q) = %v, want ErrBadURL without the password", u, err)
		}
	}
}

func TestTheMessageIDIsTheEmailsOwnOnTheSendersDomain(t *testing.T) {
	t.Parallel()
	s, err := sender.New(sender.Relay{Host: "localhost", Port: 25}, "Buytickets <tickets@buytickets.dev>")
	if err != nil {
		t.Fatal(err)
	}
	if got := s.MessageID("sale-0123"); got != "sale-0123@buytickets.dev" {
		t.Errorf("MessageID = %q", got)
	}
	if _, err := sender.New(sender.Relay{}, "not an address"); err == nil {
		t.Error("New accepted a sender that is no address")
	}
}
