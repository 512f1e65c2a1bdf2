package httpx

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/buytickets/buytickets/shared/apperr"
)

// Validator collects input errors, at most one per field, so a request with
// several bad fields is answered with all of them at once. The zero value is
// ready to use. Checks on a field that already failed are skipped, so the
// first failed check names the problem: Required before Length.
type Validator struct {
	fields apperr.Fields
}

// Check records message against field unless ok holds.
func (v *Validator) Check(ok bool, field, message string) {
	if ok || v.Failed(field) {
		return
	}
	v.fields = append(v.fields, apperr.Field(field, message))
}

// Required records "<Field> is required" when value is empty or blank.
func (v *Validator) Required(field, value string) {
	v.Check(strings.TrimSpace(value) != "", field, label(field)+" is required")
}

// Length records "<Field> must be between min and max characters" unless s
// holds min to max characters (runes, not bytes).
func (v *Validator) Length(field, s string, minChars, maxChars int) {
	n := utf8.RuneCountInString(s)
	v.Check(n >= minChars && n <= maxChars, field,
		fmt.Sprintf("%s must be between %d and %d characters", label(field), minChars, maxChars))
}

// Failed reports whether field already has an error.
func (v *Validator) Failed(field string) bool {
	for _, f := range v.fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

// Err returns the collected errors as apperr.Fields, or nil when every check passed.
func (v *Validator) Err() error {
	return v.fields.Err()
}

// label turns a JSON field name into the start of a sentence: "email" → "Email".
func label(field string) string {
	r, size := utf8.DecodeRuneInString(field)
	if r == utf8.RuneError {
		return field
	}
	return string(unicode.ToUpper(r)) + field[size:]
}
