package httpxtest_test

import (
	"testing"

	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
)

func TestErrorShapedWantsAtLeastOneError(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]bool{
		`{"errors":[{"message":"Invalid","field":"title"}]}`: true,
		`{"errors":[{"message":"Busy"}],"other":1}`:          true,
		`{"errors":[]}`: false,
		`{}`:            false,
		`[]`:            false,
		`not json`:      false,
		``:              false,
	} {
		if got := httpxtest.ErrorShaped([]byte(body)); got != want {
			t.Errorf("ErrorShaped(%q) = %v, want %v", body, got, want)
		}
	}
}
