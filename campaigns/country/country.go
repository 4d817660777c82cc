package country

// Country is what a campaign knows about the country of a calling code.
type Country struct {
	// Code is the calling code, digits only: "966".
	Code string
	// ISO is the ISO 3166-1 alpha-2 code: "SA".
	ISO string
	// Zone is the IANA time zone used for quiet hours when the contact names none.
	Zone string
	// Trunk is the national prefix dialled before a national number ("0" in most of the
	// region, "8" in Russia, "1" in the +1 zone, "" where there is none, as in Qatar or
	// Italy, whose leading 0 is part of the number).
	Trunk string
	// MinLen and MaxLen bound the length of the national significant number (the digits
	// after the calling code), so that 0501234567 and 966501234567 can be told apart.
	MinLen, MaxLen int
	// NoMarketing is true where Meta does not deliver marketing templates.
	NoMarketing bool
	// NoUserCap is true where Meta's per-user marketing cap (131049) does not apply.
	NoUserCap bool
}

// table lists the known countries. Lengths are generous where a country's numbers vary
// (landlines and mobiles): a national form is only rejected when it is clearly too short
// or too long.
var table = [...]Country{
	// The Gulf, the Levant, Iraq, Yemen, North Africa and the Horn.
	{"966", "SA", "Asia/Riyadh", "0", 8, 9, false, false},
	{"971", "AE", "Asia/Dubai", "0", 8, 9, false, false},
	{"965", "KW", "Asia/Kuwait", "", 8, 8, false, false},
	{"974", "QA", "Asia/Qatar", "", 7, 8, false, false},
	{"973", "BH", "Asia/Bahrain", "", 8, 8, false, false},
	{"968", "OM", "Asia/Muscat", "", 8, 8, false, false},
	{"967", "YE", "Asia/Aden", "0", 7, 9, false, false},
	{"962", "JO", "Asia/Amman", "0", 8, 9, false, false},
	{"961", "LB", "Asia/Beirut", "0", 7, 8, false, false},
	{"963", "SY", "Asia/Damascus", "0", 8, 9, false, false},
	{"964", "IQ", "Asia/Baghdad", "0", 8, 10, false, false},
	{"970", "PS", "Asia/Hebron", "0", 8, 9, false, false},
	{"972", "IL", "Asia/Jerusalem", "0", 8, 9, false, false},
	{"20", "EG", "Africa/Cairo", "0", 8, 10, false, false},
	{"212", "MA", "Africa/Casablanca", "0", 9, 9, false, false},
	{"213", "DZ", "Africa/Algiers", "0", 8, 9, false, false},
	{"216", "TN", "Africa/Tunis", "", 8, 8, false, false},
	{"218", "LY", "Africa/Tripoli", "0", 8, 9, false, false},
	{"249", "SD", "Africa/Khartoum", "0", 9, 9, false, false},
	{"222", "MR", "Africa/Nouakchott", "", 8, 8, false, false},
	{"252", "SO", "Africa/Mogadishu", "0", 7, 9, false, false},
	{"253", "DJ", "Africa/Djibouti", "", 8, 8, false, false},
	{"98", "IR", "Asia/Tehran", "0", 10, 10, false, false},
	{"90", "TR", "Europe/Istanbul", "0", 10, 10, false, false},
	// Europe's large markets.
	{"44", "GB", "Europe/London", "0", 9, 10, false, true},
	{"49", "DE", "Europe/Berlin", "0", 6, 13, false, true},
	{"33", "FR", "Europe/Paris", "0", 9, 9, false, true},
	{"39", "IT", "Europe/Rome", "", 6, 11, false, true},
	{"34", "ES", "Europe/Madrid", "", 9, 9, false, true},
	{"31", "NL", "Europe/Amsterdam", "0", 9, 9, false, true},
	{"32", "BE", "Europe/Brussels", "0", 8, 9, false, true},
	{"43", "AT", "Europe/Vienna", "0", 4, 13, false, true},
	{"46", "SE", "Europe/Stockholm", "0", 7, 13, false, true},
	{"45", "DK", "Europe/Copenhagen", "", 8, 8, false, true},
	{"47", "NO", "Europe/Oslo", "", 8, 8, false, true},
	{"48", "PL", "Europe/Warsaw", "", 9, 9, false, true},
	{"351", "PT", "Europe/Lisbon", "", 9, 9, false, true},
	{"353", "IE", "Europe/Dublin", "0", 7, 9, false, true},
	{"30", "GR", "Europe/Athens", "", 10, 10, false, true},
	{"41", "CH", "Europe/Zurich", "0", 9, 9, false, false},
	{"7", "RU", "Europe/Moscow", "8", 10, 10, false, false},
	// The +1 zone, South and South-East Asia, East Asia, Africa, Oceania, Latin America.
	{"1", "US", "America/New_York", "1", 10, 10, true, false},
	{"91", "IN", "Asia/Kolkata", "0", 10, 10, false, false},
	{"92", "PK", "Asia/Karachi", "0", 9, 10, false, false},
	{"880", "BD", "Asia/Dhaka", "0", 10, 10, false, false},
	{"93", "AF", "Asia/Kabul", "0", 9, 9, false, false},
	{"94", "LK", "Asia/Colombo", "0", 9, 9, false, false},
	{"977", "NP", "Asia/Kathmandu", "0", 8, 10, false, false},
	{"62", "ID", "Asia/Jakarta", "0", 9, 12, false, false},
	{"60", "MY", "Asia/Kuala_Lumpur", "0", 9, 10, false, false},
	{"63", "PH", "Asia/Manila", "0", 10, 10, false, false},
	{"81", "JP", "Asia/Tokyo", "0", 9, 10, false, true},
	{"82", "KR", "Asia/Seoul", "0", 8, 10, false, true},
	{"86", "CN", "Asia/Shanghai", "0", 10, 11, false, false},
	{"234", "NG", "Africa/Lagos", "0", 8, 10, false, false},
	{"254", "KE", "Africa/Nairobi", "0", 9, 9, false, false},
	{"251", "ET", "Africa/Addis_Ababa", "0", 9, 9, false, false},
	{"27", "ZA", "Africa/Johannesburg", "0", 9, 9, false, false},
	{"61", "AU", "Australia/Sydney", "0", 9, 9, false, false},
	{"52", "MX", "America/Mexico_City", "", 10, 10, false, false},
	{"55", "BR", "America/Sao_Paulo", "0", 10, 11, false, false},
}

// Lookup returns the country of an international number given as E.164 digits without
// the "+" (a wa_id): the entry with the longest calling code that prefixes it. ok is false
// when no entry matches.
func Lookup(e164 string) (c Country, ok bool) {
	for n := 3; n >= 1; n-- {
		if len(e164) <= n {
			continue
		}
		if c, ok := ByCode(e164[:n]); ok {
			return c, true
		}
	}
	return Country{}, false
}

// ByCode returns the country of a calling code ("966").
func ByCode(code string) (Country, bool) {
	for _, c := range table {
		if c.Code == code {
			return c, true
		}
	}
	return Country{}, false
}

// ByISO returns the country of an ISO 3166-1 alpha-2 code ("SA", case-sensitive upper).
func ByISO(iso string) (Country, bool) {
	for _, c := range table {
		if c.ISO == iso {
			return c, true
		}
	}
	return Country{}, false
}

// All returns a copy of the table, for documentation and tests.
func All() []Country { return append([]Country(nil), table[:]...) }
