package ticket

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/buytickets/buytickets/shared/apperr"
)

// The bounds of a price, in cents (DESIGN §3: 0.50 to 999,999.99 dollars,
// the most Stripe charges in one payment).
const (
	// MinPrice is the lowest price accepted.
	MinPrice Price = 50
	// MaxPrice is the highest price accepted.
	MaxPrice Price = 99_999_999
)

// Price is an amount in whole cents. It is kept as an integer, so that what
// a seller writes is what a buyer is charged, to the cent.
type Price int64

// Cents returns p in cents.
func (p Price) Cents() int64 { return int64(p) }

// Dollars returns p in dollars, as the events carry it.
func (p Price) Dollars() float64 { return float64(p) / 100 }

// String returns p in dollars as the shortest exact decimal: "19.99",
// "19.5", "20".
func (p Price) String() string {
	n := int64(p)
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	s := fmt.Sprintf("%s%d.%02d", sign, n/100, n%100)
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
}

// The refusals of a price, each about the field "price".
var (
	errPriceRequired = apperr.Field("price", "Price is required")
	errPriceNaN      = apperr.Field("price", "Price must be a number")
	errPriceDecimals = apperr.Field("price", "Price must have at most 2 decimals")
	errPriceRange    = apperr.Field("price", "Price must be between 0.50 and 999999.99")
)

// maxExponentDigits bounds the exponent read from a number: a longer one is
// read as ±999,999,999, which decides the same, since no number in a body of
// 1 MiB has digits enough to bring such a power of ten back into range.
const maxExponentDigits = 9

// ParsePrice reads a price in dollars from s, the JSON value the client
// wrote: a number ("19.99", "20", "2e1"), or a string holding one
// (`"10.00"`, as the seed's client sends a form field). An empty s, "null"
// or `""` is a missing price; any other value (a string of words, true) is
// not a number. The price must have at most 2 decimals and lie between
// MinPrice and MaxPrice, whichever way it was written. It is read exactly,
// never through a float, so 19.999 is refused rather than rounded. Every
// refusal is an apperr.Invalid error for the field "price".
func ParsePrice(s string) (Price, error) {
	p, err := parsePrice(s)
	if err != nil {
		return 0, err
	}
	return p, nil
}

func parsePrice(s string) (Price, *apperr.Error) {
	if strings.HasPrefix(s, `"`) {
		var inner string
		if err := json.Unmarshal([]byte(s), &inner); err != nil {
			return 0, errPriceNaN
		}
		if inner == "" {
			return 0, errPriceRequired
		}
		if strings.HasPrefix(inner, `"`) || inner == "null" {
			return 0, errPriceNaN // a string holds a number, not another JSON value
		}
		s = inner
	}
	if s == "" || s == "null" {
		return 0, errPriceRequired
	}
	n, ok := parseNumber(s)
	switch {
	case !ok:
		return 0, errPriceNaN
	case n.negative && n.digits != "":
		return 0, errPriceRange
	case n.digits == "":
		return 0, errPriceRange // zero
	case n.exponent < -2:
		return 0, errPriceDecimals
	case len(n.digits)+n.exponent+2 > len(strconv.FormatInt(int64(MaxPrice), 10)):
		return 0, errPriceRange
	}
	cents, err := strconv.ParseInt(n.digits+strings.Repeat("0", n.exponent+2), 10, 64)
	if err != nil || Price(cents) < MinPrice || Price(cents) > MaxPrice {
		return 0, errPriceRange
	}
	return Price(cents), nil
}

// number is a decimal number: digits × 10^exponent, with digits free of
// leading and trailing zeros ("" for zero).
type number struct {
	negative bool
	digits   string
	exponent int
}

// parseNumber reads s by the JSON number grammar,
// -?digits(.digits)?([eE][+-]?digits)?, and reports whether it is one.
func parseNumber(s string) (number, bool) {
	var n number
	if strings.HasPrefix(s, "-") {
		n.negative, s = true, s[1:]
	}
	whole, s := leadingDigits(s)
	if whole == "" {
		return number{}, false
	}
	var frac string
	if strings.HasPrefix(s, ".") {
		if frac, s = leadingDigits(s[1:]); frac == "" {
			return number{}, false
		}
	}
	exp := 0
	if strings.HasPrefix(s, "e") || strings.HasPrefix(s, "E") {
		s = s[1:]
		negExp := false
		if strings.HasPrefix(s, "+") || strings.HasPrefix(s, "-") {
			negExp, s = s[0] == '-', s[1:]
		}
		var digits string
		if digits, s = leadingDigits(s); digits == "" {
			return number{}, false
		}
		digits = strings.TrimLeft(digits, "0")
		if len(digits) > maxExponentDigits {
			digits = strings.Repeat("9", maxExponentDigits)
		}
		exp, _ = strconv.Atoi("0" + digits)
		if negExp {
			exp = -exp
		}
	}
	if s != "" {
		return number{}, false
	}
	digits := strings.TrimLeft(whole+frac, "0")
	trimmed := strings.TrimRight(digits, "0")
	n.digits = trimmed
	n.exponent = exp - len(frac) + len(digits) - len(trimmed)
	return n, true
}

// leadingDigits splits s after its leading ASCII digits.
func leadingDigits(s string) (digits, rest string) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i], s[i:]
}
