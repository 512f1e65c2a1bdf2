package main

import (
	"testing"
	"time"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/shared/testenv"
)

func TestMain(m *testing.M) { testenv.MainOr(m, main) }

func TestAMissingSettingStopsTheStartWithOneLine(t *testing.T) {
	t.Parallel()
	required := eventingtest.CommandSettings("notifications", "SMTP_URL=smtp://localhost:25", "JWT_KEY="+testenv.JWTKey)
	testenv.CommandFailsEach(t, required.Refusals("notifications", map[string]string{
		"JWT_KEY=too-short-to-sign":           "config: JWT_KEY must be at least 32 bytes",
		"SMTP_URL=http://smtp.example":        "config: SMTP_URL must be smtp://[user:password@]host[:port] or smtps://…",
		"MAIL_FROM=tickets":                   "config: MAIL_FROM must be an email address, such as Buytickets <tickets@buytickets.dev>",
		"PUBLIC_URL=buytickets.dev/somewhere": "config: PUBLIC_URL must be an http(s) URL",
	}))
}

func TestServesOnFirestoreAndEmailsWhatABrokerDelivers(t *testing.T) {
	mp := testenv.StartMailpit(t)
	cmd, r := eventingtest.ServeCommand(t, "notifications", realMain,
		"JWT_KEY="+testenv.JWTKey, "SMTP_URL="+mp.SMTPURL(), "MAIL_FROM=Buytickets <tickets@buytickets.test>")

	buyer := testenv.UniqueID("buyer")
	order := "0123456789abcdef01234567"
	issued := eventingtest.Event(t, eventing.NewETicketIssued, eventing.ETicketIssued{
		Code: "CODE", OrderID: order, TicketID: "t1", HolderID: buyer, IssuerID: "seller", Title: "Concert", FaceValue: 2000,
	})
	registered := eventingtest.Event(t, eventing.NewUserRegistered, eventing.UserRegistered{ID: buyer, Email: buyer + "@example.com"})
	r.MustDeliver(registered)
	r.MustDeliver(issued)

	testenv.Eventually(t, 10*time.Second, "the buyer's e-ticket email", func() bool {
		return len(mp.To(t, buyer+"@example.com")) == 1
	})
	cmd.Stop()
}
