package web

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/buytickets/buytickets/functions/web/internal/api"
)

// DefaultFeePercent is the platform's share of a sale when
// PLATFORM_FEE_PERCENT is unset, as in payouts.
const DefaultFeePercent = 10

// FeePercent is the platform's share of a sale in whole per cent, 0 to
// 100. Its zero value is unset and reads as DefaultFeePercent, so that a
// Config written in code shows the fee payouts takes by default; 0 per
// cent is PercentFee(0).
type FeePercent struct {
	percent int
	set     bool
}

// PercentFee is a fee of n per cent.
func PercentFee(n int) FeePercent { return FeePercent{percent: n, set: true} }

// UnmarshalText reads a whole number from 0 to 100.
func (p *FeePercent) UnmarshalText(text []byte) error {
	n, err := strconv.Atoi(strings.TrimSpace(string(text)))
	if err != nil || n < 0 || n > 100 {
		return fmt.Errorf("PLATFORM_FEE_PERCENT must be a whole number from 0 to 100, not %q", text)
	}
	*p = PercentFee(n)
	return nil
}

// Percent is the fee in per cent.
func (p FeePercent) Percent() int {
	if !p.set {
		return DefaultFeePercent
	}
	return p.percent
}

// valid reports whether p is a share payouts can take.
func (p FeePercent) valid() bool { return p.Percent() >= 0 && p.Percent() <= 100 }

// proceeds is what the seller of a sale at price receives, by payouts'
// rule: the fee is percent of the price in cents, rounded down, so the
// seller keeps any fraction of a cent.
func proceeds(price api.Price, percent int) api.Price {
	fee := price.Cents() * int64(percent) / 100
	return api.Price(price.Cents() - fee)
}
