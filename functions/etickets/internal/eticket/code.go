package eticket

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base32"
	"encoding/hex"
	"fmt"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/shared/apperr"
)

// A code is what an e-ticket's QR symbol holds, and what a person types at
// the door when there is no scanner: the order it admits to and the
// issuer's Ed25519 signature of it, so that anyone with the public key can
// tell a genuine code from a forged one without asking us. It is written by
// hand because it is a few lines over crypto/ed25519 and no library defines
// such a format.
//
// Its bytes are a version (1), the order id (12 bytes: orders' ids are 24
// hex digits) and the signature (64 bytes) of the domain separator followed
// by the first 13 bytes; they are written in unpadded base32 (RFC 4648):
// upper-case letters and the digits 2–7, all in the QR alphanumeric set (a
// smaller symbol than bytes), and readable aloud. Reading ignores case,
// spaces and hyphens.
const (
	codeVersion = 1
	orderIDSize = 12
	payloadSize = 1 + orderIDSize
	codeSize    = payloadSize + ed25519.SignatureSize
	// CodeLength is the length of a code in characters.
	CodeLength = (codeSize*8 + 4) / 5
)

// domain keeps a code's signature from meaning anything else the key signs.
const domain = "buytickets e-ticket\x00"

var encoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// The refusals of a code.
var (
	// ErrBadCode is a code that is not one: wrong length or characters, or
	// a signature that does not verify (a tampered or forged code).
	ErrBadCode = apperr.Field("code", "This is not a valid e-ticket code")
	// ErrBadOrderID is an order id a code cannot carry.
	ErrBadOrderID = apperr.New(apperr.Invalid, "An e-ticket is issued only for an order id of 24 hex digits")
)

// Signer makes codes with the issuer's private key.
type Signer struct {
	key ed25519.PrivateKey
}

// NewSigner returns a Signer for key.
func NewSigner(key ed25519.PrivateKey) (*Signer, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("eticket.NewSigner: key of %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	return &Signer{key: key}, nil
}

// Public returns the key that verifies the Signer's codes.
func (s *Signer) Public() ed25519.PublicKey { return s.key.Public().(ed25519.PublicKey) }

// Code returns the code of the e-ticket for orderID. Ed25519 signatures are
// deterministic, so an order has one code: issuing it again gives the same.
func (s *Signer) Code(orderID string) (string, error) {
	id, err := hex.DecodeString(orderID)
	if err != nil || len(id) != orderIDSize || hex.EncodeToString(id) != orderID {
		return "", ErrBadOrderID.With(fmt.Errorf("order id %q", orderID))
	}
	raw := make([]byte, 0, codeSize)
	raw = append(append(raw, codeVersion), id...)
	raw = append(raw, ed25519.Sign(s.key, signed(raw))...)
	return encoding.EncodeToString(raw), nil
}

// Verify returns the order id that code admits to, once its signature
// verifies with key, and the code written as Code writes it; otherwise
// ErrBadCode.
func Verify(key ed25519.PublicKey, code string) (orderID, canonical string, err error) {
	canonical = eventing.CanonicalCode(code)
	raw, err := encoding.DecodeString(canonical)
	// Written back, it must be what was read: the decoder ignores the
	// unused low bits of the last character, and a code has one spelling.
	if err != nil || len(raw) != codeSize || raw[0] != codeVersion || encoding.EncodeToString(raw) != canonical {
		return "", "", ErrBadCode
	}
	if !ed25519.Verify(key, signed(raw[:payloadSize]), raw[payloadSize:]) {
		return "", "", ErrBadCode
	}
	return hex.EncodeToString(raw[1:payloadSize]), canonical, nil
}

func signed(payload []byte) []byte {
	return bytes.Join([][]byte{[]byte(domain), payload}, nil)
}
