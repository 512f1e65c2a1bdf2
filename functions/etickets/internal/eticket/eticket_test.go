package eticket_test

import (
	"errors"
	"testing"
	"time"

	"github.com/buytickets/buytickets/functions/etickets/internal/eticket"
	"github.com/buytickets/buytickets/shared/apperr"
)

var (
	issued = time.Date(2026, 5, 1, 18, 0, 0, 0, time.UTC)
	sale   = eticket.Sale{OrderID: orderID, TicketID: "t1", HolderID: "buyer", IssuerID: "seller", Title: "Concert", FaceValue: 2050}
)

func issue(t *testing.T) *eticket.ETicket {
	t.Helper()
	e, err := eticket.Issue("CODE", sale, issued)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestAnETicketIsIssuedOnlyForACompleteSale(t *testing.T) {
	t.Parallel()
	e := issue(t)
	if e.Status() != eticket.Valid || !e.IssuedAt().Equal(issued) || e.Sale() != sale {
		t.Errorf("issued %+v", e.State())
	}
	for _, s := range []eticket.Sale{{}, {OrderID: orderID, TicketID: "t1", HolderID: "buyer"}, {OrderID: orderID, HolderID: "b", IssuerID: "s"}} {
		if _, err := eticket.Issue("CODE", s, issued); !errors.Is(err, eticket.ErrIncomplete) {
			t.Errorf("Issue(%+v) = %v, want ErrIncomplete", s, err)
		}
	}
}

func TestOnlyTheHolderAndTheIssuerSeeAnETicket(t *testing.T) {
	t.Parallel()
	e := issue(t)
	for who, want := range map[string]bool{"buyer": true, "seller": true, "stranger": false, "": false} {
		if got := e.CanSee(who); got != want {
			t.Errorf("CanSee(%q) = %v, want %v", who, got, want)
		}
	}
}

func TestTheIssuerChecksAnETicketInOnce(t *testing.T) {
	t.Parallel()
	e := issue(t)
	at := issued.Add(time.Hour)
	if err := e.CheckIn("buyer", at); !errors.Is(err, eticket.ErrNotIssuer) {
		t.Errorf("the holder checked in: %v", err)
	}
	if err := e.CheckIn("seller", at); err != nil {
		t.Fatalf("first check-in: %v", err)
	}
	if e.Status() != eticket.Used || !e.CheckedInAt().Equal(at) {
		t.Errorf("after check-in %+v", e.State())
	}
	err := e.CheckIn("seller", at.Add(time.Minute))
	if !errors.Is(err, eticket.ErrAlreadyCheckedIn) || apperr.KindOf(err) != apperr.Conflict {
		t.Fatalf("second check-in: %v, want ErrAlreadyCheckedIn", err)
	}
	var ae *apperr.Error
	if errors.As(err, &ae); ae.Message != "Already checked in at 2026-05-01T19:00:00Z" {
		t.Errorf("message %q", ae.Message)
	}
	if !e.CheckedInAt().Equal(at) {
		t.Errorf("a second check-in moved the time to %v", e.CheckedInAt())
	}
}

func TestARevokedETicketAdmitsNobody(t *testing.T) {
	t.Parallel()
	for _, usedFirst := range []bool{false, true} {
		e := issue(t)
		if usedFirst {
			if err := e.CheckIn("seller", issued); err != nil {
				t.Fatal(err)
			}
		}
		if !e.Revoke(eticket.ReasonRefunded, issued.Add(time.Hour)) {
			t.Fatal("Revoke changed nothing")
		}
		if e.Revoke(eticket.ReasonRefunded, issued.Add(2*time.Hour)) {
			t.Error("a second Revoke changed the e-ticket")
		}
		at, reason := e.RevokedAt()
		if e.Status() != eticket.Revoked || !at.Equal(issued.Add(time.Hour)) || reason != eticket.ReasonRefunded {
			t.Errorf("revoked %+v", e.State())
		}
		if err := e.CheckIn("seller", issued.Add(3*time.Hour)); !errors.Is(err, eticket.ErrRevoked) {
			t.Errorf("check-in of a revoked e-ticket: %v", err)
		}
	}
}

func TestAnETicketComesBackFromTheStoreAsItWent(t *testing.T) {
	t.Parallel()
	e := issue(t)
	if err := e.CheckIn("seller", issued.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := eticket.UnmarshalFromStore(e.State()).State(); got != e.State() {
		t.Errorf("round trip %+v, want %+v", got, e.State())
	}
}
