package httpx_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/buytickets/buytickets/shared/httpx"
)

func TestAnswersWriteTimesInUTCToTheMillisecond(t *testing.T) {
	t.Parallel()
	paris := time.FixedZone("Paris", 3600)
	tests := []struct {
		name string
		in   time.Time
		want string
	}{
		{"nanoseconds are cut, not rounded", time.Date(2026, 12, 2, 16, 51, 39, 511_903_474, time.UTC), `"2026-12-02T16:51:39.511Z"`},
		{"a whole second still has three decimals", time.Date(2026, 12, 2, 16, 51, 39, 0, time.UTC), `"2026-12-02T16:51:39.000Z"`},
		{"another zone is written in UTC", time.Date(2026, 12, 2, 17, 51, 39, 5_000_000, paris), `"2026-12-02T16:51:39.005Z"`},
		{"the zero time is null", time.Time{}, `null`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, err := json.Marshal(httpx.TimeOf(tc.in))
			if err != nil || string(b) != tc.want {
				t.Errorf("Marshal = %s, %v; want %s", b, err, tc.want)
			}
			if tc.in.IsZero() {
				return
			}
			var back httpx.Time
			if err := json.Unmarshal(b, &back); err != nil || !back.Equal(tc.in.Truncate(time.Millisecond)) {
				t.Errorf("read back as %v, %v; want %v", back, err, tc.in.Truncate(time.Millisecond))
			}
		})
	}
}
