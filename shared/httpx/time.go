package httpx

import (
	"time"
)

// TimeFormat is how every API answer writes a time: RFC 3339 in UTC with
// exactly three decimals, as JavaScript's Date.toISOString writes it and as
// the store keeps it (to the millisecond, DESIGN §6), so a time reads the
// same in the answer to a create and in every later read.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// Time is a time.Time that an answer writes in TimeFormat. It reads back
// any RFC 3339 time.
type Time struct{ time.Time }

// TimeOf returns t as an answer writes it, truncated to the millisecond.
func TimeOf(t time.Time) Time { return Time{t.UTC().Truncate(time.Millisecond)} }

// MarshalJSON writes t in TimeFormat, or null for the zero time.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	b := make([]byte, 0, len(TimeFormat)+2)
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, TimeFormat)
	return append(b, '"'), nil
}
