package store_test

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/buytickets/buytickets/shared/store"
)

func TestEncodeRefusesWhatNoDriverCanStore(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		doc  any
		want string
	}{
		{"not a struct", map[string]any{"a": 1}, "documents are structs"},
		{"nil pointer", (*struct{})(nil), "encode nil"},
		{"NaN", struct{ F float64 }{math.NaN()}, "cannot be stored"},
		{"huge unsigned", struct{ U uint64 }{math.MaxUint64}, "overflows"},
		{"channel", struct{ C chan int }{make(chan int)}, "cannot store"},
		{"int map keys", struct{ M map[int]string }{map[int]string{1: "a"}}, "keys must be strings"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := store.Encode(tc.doc)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Encode = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestDecodeRefusesMismatchedTypes(t *testing.T) {
	t.Parallel()
	type doc struct {
		N    int8      `store:"n"`
		U    uint      `store:"u"`
		S    string    `store:"s"`
		At   time.Time `store:"at"`
		List []int     `store:"list"`
	}
	tests := []struct {
		name   string
		fields map[string]any
	}{
		{"string into int", map[string]any{"n": "1"}},
		{"overflowing int", map[string]any{"n": int64(300)}},
		{"negative into unsigned", map[string]any{"u": int64(-1)}},
		{"fraction into int", map[string]any{"n": 1.5}},
		{"number into string", map[string]any{"s": int64(1)}},
		{"bad time text", map[string]any{"at": "yesterday"}},
		{"object into list", map[string]any{"list": map[string]any{}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := store.Decode(tc.fields, &doc{}); err == nil {
				t.Errorf("Decode(%v) succeeded", tc.fields)
			}
		})
	}
}

func TestDecodeAcceptsEachDriversForms(t *testing.T) {
	t.Parallel()
	type doc struct {
		N  int       `store:"n"`
		F  float64   `store:"f"`
		At time.Time `store:"at"`
	}
	at := time.Date(2026, 11, 26, 19, 0, 0, 5_000_000, time.UTC)
	forms := map[string]map[string]any{
		"firestore": {"n": int64(3), "f": int64(2), "at": at},
		"sqlite":    {"n": json.Number("3"), "f": json.Number("2"), "at": at.Format(store.TimeFormat)},
	}
	for name, fields := range forms {
		var got doc
		if err := store.Decode(fields, &got); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got.N != 3 || got.F != 2 || !got.At.Equal(at) {
			t.Errorf("%s form decoded as %+v", name, got)
		}
	}
}

func TestValidIDRefusesWhatFirestoreRefuses(t *testing.T) {
	t.Parallel()
	for id, want := range map[string]bool{
		"abc": true, "ada@example.com": true, "a-b_c.d": true,
		"": false, ".": false, "..": false, "a/b": false, "__x__": false, "nul\x00": false,
		strings.Repeat("x", 501): false,
	} {
		if got := store.ValidID(id); got != want {
			t.Errorf("ValidID(%q) = %v, want %v", id, got, want)
		}
	}
}

func TestAnInlineGroupOfFieldsIsStoredBesideTheDocumentsOwn(t *testing.T) {
	t.Parallel()
	type place struct {
		Venue string `store:"venue,omitempty"`
		Row   string `store:"row,omitempty"`
	}
	type doc struct {
		Title string `store:"title"`
		place `store:",inline"`
		Where place `store:"where"`
	}
	in := doc{Title: "Concert", place: place{Venue: "Hall"}, Where: place{Row: "B"}}
	m, err := store.Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"title": "Concert", "venue": "Hall", "where": map[string]any{"row": "B"}}
	if got, _ := json.Marshal(m); string(got) != string(must(json.Marshal(want))) {
		t.Errorf("stored %s, want %s", got, must(json.Marshal(want)))
	}
	var out doc
	if err := store.Decode(m, &out); err != nil || out != in {
		t.Errorf("read back %+v, %v; want %+v", out, err, in)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
