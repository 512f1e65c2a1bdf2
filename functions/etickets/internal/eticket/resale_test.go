package eticket_test

import (
	"errors"
	"testing"

	"github.com/buytickets/buytickets/functions/etickets/internal/eticket"
)

func TestAnETicketIsListedWhileAnyOfItsListingsIsNotWithdrawn(t *testing.T) {
	t.Parallel()
	live := eticket.Listing{TicketID: "l1"}
	withdrawn := eticket.Listing{TicketID: "l0", Withdrawn: true}
	tests := []struct {
		name     string
		from     func(*eticket.ETicket)
		listings []eticket.Listing
		want     eticket.Status
		changed  bool
	}{
		{"a listing", nil, []eticket.Listing{live}, eticket.Listed, true},
		{"its withdrawal", func(e *eticket.ETicket) { e.Relist([]eticket.Listing{live}) }, []eticket.Listing{withdrawn}, eticket.Valid, true},
		{"one withdrawn, another live", nil, []eticket.Listing{withdrawn, live}, eticket.Listed, true},
		{"all withdrawn", nil, []eticket.Listing{withdrawn}, eticket.Valid, false},
		{"revoked stays revoked", func(e *eticket.ETicket) { e.Revoke(eticket.ReasonRefunded, issued) }, []eticket.Listing{live}, eticket.Revoked, false},
		{"used stays used", func(e *eticket.ETicket) { _ = e.CheckIn("seller", issued) }, []eticket.Listing{live}, eticket.Used, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := issue(t)
			if tc.from != nil {
				tc.from(e)
			}
			if changed := e.Relist(tc.listings); changed != tc.changed || e.Status() != tc.want {
				t.Errorf("Relist = %v, status %q; want %v, %q", changed, e.Status(), tc.changed, tc.want)
			}
		})
	}
}

func TestAListedETicketIsNotCheckedInAndAResaleKeepsTheIssuer(t *testing.T) {
	t.Parallel()
	e := issue(t)
	e.Relist([]eticket.Listing{{TicketID: "l1"}})
	if err := e.CheckIn("seller", issued); !errors.Is(err, eticket.ErrListed) || e.Status() != eticket.Listed {
		t.Errorf("CheckIn of a listed e-ticket = %v, status %q", err, e.Status())
	}
	sale := e.Resale(eticket.Sale{OrderID: "o2", TicketID: "l1", HolderID: "buyer2", IssuerID: "buyer", Title: "Concert", FaceValue: 2000})
	if sale.IssuerID != e.Sale().IssuerID || sale.HolderID != "buyer2" || sale.FaceValue != 2000 {
		t.Errorf("Resale = %+v, want the original issuer %q", sale, e.Sale().IssuerID)
	}
	if !e.Revoke(eticket.ReasonResold, issued) || e.Status() != eticket.Revoked {
		t.Errorf("a listed e-ticket is not revoked when resold")
	}
}

func TestAListingIsNewsOnlyAtALaterVersion(t *testing.T) {
	t.Parallel()
	held := eticket.Listing{TicketID: "l1", Version: 2}
	for _, tc := range []struct {
		version int
		ok      bool
		want    bool
	}{{3, true, true}, {2, true, false}, {1, true, false}, {0, false, true}} {
		if got := (eticket.Listing{TicketID: "l1", Version: tc.version}).Newer(held, tc.ok); got != tc.want {
			t.Errorf("version %d over %d (held %v): Newer = %v, want %v", tc.version, held.Version, tc.ok, got, tc.want)
		}
	}
}
