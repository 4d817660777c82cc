package outcome

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/wasla/wasla/campaigns/country"
)

// Micro is an amount in millionths of a currency unit: 0.0456 USD is 45600.
type Micro int64

// ParseMicro reads a decimal amount ("0.0456", "1", "0.5") with at most six decimals.
func ParseMicro(s string) (Micro, error) {
	s = strings.TrimSpace(s)
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" || !allDigits(whole) || !allDigits(frac) || len(frac) > 6 {
		return 0, fmt.Errorf("amount %q: write a positive decimal with at most six decimals, such as 0.0456", s)
	}
	if whole == "" {
		whole = "0"
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > 1e12 {
		return 0, fmt.Errorf("amount %q: write a positive decimal with at most six decimals, such as 0.0456", s)
	}
	f := int64(0)
	if frac != "" {
		f, err = strconv.ParseInt(frac+strings.Repeat("0", 6-len(frac)), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("amount %q: write a positive decimal with at most six decimals, such as 0.0456", s)
		}
	}
	return Micro(w*1_000_000 + f), nil
}

func allDigits(s string) bool { return strings.Trim(s, "0123456789") == "" }

// String writes the amount with six decimals, trailing zeros trimmed to two.
func (m Micro) String() string {
	s := fmt.Sprintf("%d.%06d", int64(m)/1_000_000, int64(m)%1_000_000)
	for strings.HasSuffix(s, "0") && len(s)-strings.IndexByte(s, '.') > 3 {
		s = s[:len(s)-1]
	}
	return s
}

// Rates is the price of one delivered message by pricing category (marketing, utility,
// authentication, service — the category of the status webhook's pricing block) and by
// the recipient's market (ISO country code). Meta changes these rates; the table comes
// from configuration and is only as current as its operator keeps it.
type Rates struct {
	// Currency is the ISO 4217 code the amounts are in ("USD").
	Currency string
	// ByCategory maps a category to its prices by ISO country code; the key "*" is the
	// price for markets the table does not list ("rest of world").
	ByCategory map[string]map[string]Micro
}

// Price returns the price of a message of category to contact (E.164 digits), and false
// when the table has no price for it. A message Meta marks not billable costs nothing.
func (r Rates) Price(category string, billable bool, contact string) (Micro, bool) {
	if !billable {
		return 0, true
	}
	byMarket, ok := r.ByCategory[strings.ToLower(category)]
	if !ok {
		return 0, false
	}
	if c, ok := country.Lookup(contact); ok {
		if p, ok := byMarket[c.ISO]; ok {
			return p, true
		}
	}
	p, ok := byMarket["*"]
	return p, ok
}

// ParseRates turns a rate table written as decimal text (the configuration's rates:
// category -> market -> price) into prices, so that the live runner and the forecast
// price a campaign alike. An error names the category and market.
func ParseRates(currency string, prices map[string]map[string]string) (Rates, error) {
	out := Rates{Currency: currency, ByCategory: make(map[string]map[string]Micro, len(prices))}
	for cat, byMarket := range prices {
		m := make(map[string]Micro, len(byMarket))
		for market, text := range byMarket {
			price, err := ParseMicro(text)
			if err != nil {
				return Rates{}, fmt.Errorf("rates.prices.%s.%s: %w", cat, market, err)
			}
			m[market] = price
		}
		out.ByCategory[strings.ToLower(cat)] = m
	}
	return out, nil
}
