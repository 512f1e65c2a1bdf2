package eticket_test

import (
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"

	"github.com/buytickets/buytickets/functions/etickets/internal/eticket"
)

const orderID = "0123456789abcdef01234567"

func newSigner(t *testing.T) *eticket.Signer {
	t.Helper()
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := eticket.NewSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestACodeVerifiesOfflineWithThePublicKeyAlone(t *testing.T) {
	t.Parallel()
	s := newSigner(t)
	code, err := s.Code(orderID)
	if err != nil {
		t.Fatal(err)
	}
	if len(code) != eticket.CodeLength {
		t.Errorf("code %q has %d characters, want %d", code, len(code), eticket.CodeLength)
	}
	again, _ := s.Code(orderID)
	if again != code {
		t.Errorf("an order's code changed from %q to %q", code, again)
	}
	// A person may type it in lower case, in groups.
	typed := strings.ToLower(code[:10]) + " - " + code[10:40] + "\n" + code[40:]
	for _, in := range []string{code, typed} {
		got, canonical, err := eticket.Verify(s.Public(), in)
		if err != nil || got != orderID || canonical != code {
			t.Errorf("Verify(%q) = %q, %q, %v; want %q, %q", in, got, canonical, err, orderID, code)
		}
	}
}

func TestATamperedOrForgedCodeIsRefused(t *testing.T) {
	t.Parallel()
	s := newSigner(t)
	code, err := s.Code(orderID)
	if err != nil {
		t.Fatal(err)
	}
	other, err := newSigner(t).Code(orderID)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) string {
		b := []byte(code)
		b[i] = map[bool]byte{true: 'B', false: 'A'}[b[i] == 'A']
		return string(b)
	}
	tests := []struct {
		name, code string
	}{
		{"empty", ""},
		{"signed by another key", other},
		{"order id changed", flip(5)},
		{"signature changed", flip(len(code) - 3)},
		{"one character short", code[:len(code)-1]},
		{"one character more", code + "A"},
		{"not base32", strings.Replace(code, code[:1], "1", 1)},
		{"a JWT", "eyJhbGciOiJIUzI1NiJ9.e30.ZRrHA1JJJW8opsbCGfG_HACGpVUMN_a9IV7pAx_Zmeo"},
	}
	for _, tt := range tests {
		if _, _, err := eticket.Verify(s.Public(), tt.code); !errors.Is(err, eticket.ErrBadCode) {
			t.Errorf("%s: Verify = %v, want ErrBadCode", tt.name, err)
		}
	}
}

func TestOnlyAnOrderIDCanBeEncoded(t *testing.T) {
	t.Parallel()
	s := newSigner(t)
	for _, id := range []string{"", "o1", strings.ToUpper(orderID), orderID + "00", "zz23456789abcdef01234567"} {
		if code, err := s.Code(id); !errors.Is(err, eticket.ErrBadOrderID) {
			t.Errorf("Code(%q) = %q, %v; want ErrBadOrderID", id, code, err)
		}
	}
	if _, err := eticket.NewSigner(ed25519.PrivateKey("short")); err == nil {
		t.Error("NewSigner took a key of 5 bytes")
	}
}

func TestACodeHasOneSpelling(t *testing.T) {
	t.Parallel()
	s := newSigner(t)
	code, err := s.Code(orderID)
	if err != nil {
		t.Fatal(err)
	}
	// The last character carries 1 bit of the code and 4 unused ones.
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" {
		alt := code[:len(code)-1] + string(c)
		if alt == code {
			continue
		}
		if _, _, err := eticket.Verify(s.Public(), alt); err == nil {
			t.Errorf("%q verifies as well as %q", alt, code)
		}
	}
}
