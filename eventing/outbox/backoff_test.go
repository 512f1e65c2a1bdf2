package outbox

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/buytickets/buytickets/shared/store/storetest"
)

func TestBackoffDoublesWithinItsBoundsAndNeverOverflows(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		min, max time.Duration
	}{
		{"defaults", 0, 0},
		{"short", 5 * time.Millisecond, 100 * time.Millisecond},
		{"long minimum", 30 * time.Second, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := storetest.OpenSQLite(t, filepath.Join(t.TempDir(), "outbox.db"))
			o, err := New(db, "http://127.0.0.1:1", Options{MinBackoff: tt.min, MaxBackoff: tt.max})
			if err != nil {
				t.Fatal(err)
			}
			ceiling := o.opts.MinBackoff
			for n := 1; n <= 100; n++ {
				d := o.backoff.Delay(n)
				if d < ceiling/2 || d > ceiling {
					t.Fatalf("backoff(%d) = %v, want within [%v, %v]", n, d, ceiling/2, ceiling)
				}
				ceiling = min(2*ceiling, o.opts.MaxBackoff)
			}
		})
	}
}
