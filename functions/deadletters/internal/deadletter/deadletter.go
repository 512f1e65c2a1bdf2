// Package deadletter holds the rules of a dead letter: an event the broker
// gave up delivering to one subscriber, kept with the subscriber's answer so
// an operator can see why and send it again. It reads the error details in
// the forms the Knative data plane gives them, pages listings and decides
// what a replay may target and when it succeeded. It does no I/O.
package deadletter

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/shared/apperr"
)

// MaxErrorData is how many bytes of the subscriber's answer a dead letter
// keeps; the rest is cut off.
const MaxErrorData = 4 << 10

// The refusals of reading and replaying dead letters.
var (
	// ErrNotFound is a dead letter that does not exist, or was replayed.
	ErrNotFound = apperr.New(apperr.NotFound, "Dead letter not found")
	// ErrNoSubscriber refuses the replay of a dead letter whose failed
	// subscriber is unknown or no HTTP URL.
	ErrNoSubscriber = apperr.New(apperr.Invalid, "Dead letter has no subscriber to replay to")
	// ErrUnknownSubscriber refuses the replay of a dead letter whose failed
	// subscriber is no destination of the Triggers: a replay goes only
	// where the broker itself would deliver.
	ErrUnknownSubscriber = apperr.New(apperr.Invalid, "Dead letter names no subscriber of the Triggers")
)

// Failure is what the broker hands over with an event it gave up on: the
// event itself, and the Knative error extensions as they arrived.
type Failure struct {
	// Event is the event in structured JSON, without the error extensions.
	Event string
	// Type, ID, Source and Subject are the event's attributes.
	Type, ID, Source, Subject string
	// Code is knativeerrorcode: the subscriber's HTTP status, in decimal.
	Code string
	// Dest is knativeerrordest: the URL of the subscriber that failed.
	Dest string
	// Data is knativeerrordata: the subscriber's answer in base64, possibly
	// cut short by the broker.
	Data string
}

// DeadLetter is one event one subscriber did not take. It is built by New
// from a Failure, or read back from the store as it was built.
type DeadLetter struct {
	// ID is the dead letter's id, from IDOf.
	ID string
	// Event is the event in structured JSON, as it was first sent.
	Event string
	// EventType, EventID, Source and Subject are the event's attributes.
	EventType, EventID, Source, Subject string
	// ErrorCode is the subscriber's last HTTP status; 0 when the broker
	// got none (a timeout, a refused connection) or sent none readable.
	ErrorCode int
	// ErrorDest is the URL of the subscriber that failed; empty when the
	// broker did not say.
	ErrorDest string
	// ErrorData is the start of the subscriber's answer, at most
	// MaxErrorData bytes of valid UTF-8.
	ErrorData string
	// ReceivedAt is when the dead letter arrived, in UTC.
	ReceivedAt time.Time
}

// IDOf returns the id of the dead letter of the event with source and id
// that failed at dest: the hex SHA-256 of the three, so the same delivery
// dead-lettered twice has one id, while the same event failing at two
// subscribers has two.
func IDOf(source, id, dest string) string {
	sum := sha256.Sum256([]byte(source + "\x00" + id + "\x00" + dest))
	return hex.EncodeToString(sum[:])
}

// ValidID reports whether id has the form IDOf gives: 64 lower-case hex digits.
func ValidID(id string) bool {
	if len(id) != sha256.Size*2 {
		return false
	}
	for _, c := range []byte(id) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// New returns the dead letter of f received at now. It never refuses: a
// dead letter is kept even when its error details are missing or garbled,
// since it may be the only copy of the event left.
func New(f Failure, now time.Time) DeadLetter {
	return DeadLetter{
		ID:         IDOf(f.Source, f.ID, f.Dest),
		Event:      f.Event,
		EventType:  f.Type,
		EventID:    f.ID,
		Source:     f.Source,
		Subject:    f.Subject,
		ErrorCode:  parseCode(f.Code),
		ErrorDest:  f.Dest,
		ErrorData:  decodeData(f.Data),
		ReceivedAt: now.UTC(),
	}
}

// parseCode reads knativeerrorcode; 0 for anything but an HTTP status.
func parseCode(s string) int {
	code, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || code < 100 || code > 999 {
		return 0
	}
	return code
}

// decodeData reads knativeerrordata: base64, padded or not. A value that is
// not base64 is kept as sent, since it still tells the operator something.
// Either way it is cut to MaxErrorData bytes of valid UTF-8.
func decodeData(s string) string {
	s = strings.TrimSpace(s)
	data, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		data, err = base64.RawStdEncoding.DecodeString(s)
	}
	if err != nil {
		data = []byte(s)
	}
	return truncate(data, MaxErrorData)
}

// truncate returns b as valid UTF-8 in at most limit bytes: invalid bytes,
// which a subscriber's binary answer may hold, are replaced first, and the
// cut falls before a rune the limit would split.
func truncate(b []byte, limit int) string {
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// Subscriber returns the URL a replay sends the dead letter to: the
// subscriber that failed, so that no other subscriber gets the event again.
// It fails with ErrNoSubscriber when that is unknown or no absolute HTTP URL.
func (d DeadLetter) Subscriber() (*url.URL, error) {
	u, err := url.Parse(d.ErrorDest)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, ErrNoSubscriber
	}
	return u, nil
}

// SubscriberAmong returns the subscriber a replay sends the dead letter to,
// one of known (the Triggers' destinations, by the name they are known
// by: a function), and the address it failed at. Only the scheme may
// differ from the known address (Knative's transport encryption turns
// http into https). It fails with ErrNoSubscriber when the dead letter
// names no URL, and ErrUnknownSubscriber when it names one outside known.
func (d DeadLetter) SubscriberAmong(known map[string]*url.URL) (string, *url.URL, error) {
	u, err := d.Subscriber()
	if err != nil {
		return "", nil, err
	}
	for name, k := range known {
		if u.Host == k.Host && u.Path == k.Path && u.RawQuery == "" && u.User == nil && u.Fragment == "" {
			return name, u, nil
		}
	}
	return "", nil, ErrUnknownSubscriber
}

// Delivered reports whether a subscriber's status means it took the event:
// any 2xx, as the Knative data plane counts it (eventing.Classify).
func Delivered(status int) bool { return eventing.Classify(status) == eventing.Done }
