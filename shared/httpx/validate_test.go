package httpx_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/buytickets/buytickets/shared/apperr"
	"github.com/buytickets/buytickets/shared/httpx"
)

type signup struct{ email, password string }

func validateSignup(in signup) error {
	var v httpx.Validator
	v.Required("email", in.email)
	v.Check(strings.Contains(in.email, "@"), "email", "Email must be valid")
	v.Required("password", in.password)
	v.Length("password", in.password, 8, 72)
	return v.Err()
}

func TestValidatorReportsOneErrorPerBadField(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   signup
		want apperr.Fields
	}{
		{"valid", signup{"a@b.dev", "correct horse"}, nil},
		{"both missing", signup{"", ""}, apperr.Fields{
			apperr.Field("email", "Email is required"),
			apperr.Field("password", "Password is required"),
		}},
		{"blank counts as missing", signup{"  ", "\t"}, apperr.Fields{
			apperr.Field("email", "Email is required"),
			apperr.Field("password", "Password is required"),
		}},
		{"bad email and short password", signup{"nobody", "short"}, apperr.Fields{
			apperr.Field("email", "Email must be valid"),
			apperr.Field("password", "Password must be between 8 and 72 characters"),
		}},
		{"too long password", signup{"a@b.dev", strings.Repeat("x", 73)}, apperr.Fields{
			apperr.Field("password", "Password must be between 8 and 72 characters"),
		}},
		{"length counts characters, not bytes", signup{"a@b.dev", strings.Repeat("é", 72)}, nil},
		{"multibyte too short", signup{"a@b.dev", "ééééééé"}, apperr.Fields{
			apperr.Field("password", "Password must be between 8 and 72 characters"),
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := validateSignup(tc.in)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("err = %v, want nil", err)
				}
				return
			}
			var got apperr.Fields
			if !errors.As(err, &got) {
				t.Fatalf("err = %v (%T), want apperr.Fields", err, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("fields = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestValidatorFailedTellsWhichFieldsFailed(t *testing.T) {
	t.Parallel()
	var v httpx.Validator
	v.Check(false, "price", "Price must be at least 0.50")
	if !v.Failed("price") || v.Failed("title") {
		t.Errorf("Failed(price) = %v, Failed(title) = %v; want true, false", v.Failed("price"), v.Failed("title"))
	}
}
