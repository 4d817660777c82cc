package redact

import (
	"regexp"
	"strings"
)

// Mark replaces a secret in redacted text.
const Mark = "[redacted]"

// minSecret is the shortest named secret Text replaces: shorter values (an empty token, a
// one-letter placeholder) would blank ordinary words.
const minSecret = 6

// shapes match credentials by their form. Each keeps its first group (the name of the
// credential) and replaces the rest.
var shapes = []*regexp.Regexp{
	// "Bearer xyz", as an Authorization header carries it.
	regexp.MustCompile(`(?i)(\bbearer\s+)[A-Za-z0-9._~+/=-]{6,}`),
	// Authorization: Basic xyz and any other scheme; also when a JSON echo escapes the
	// quotes around it.
	regexp.MustCompile(`(?i)(\bauthorization\\?"?\s*[:=]\s*\\?"?(?:[A-Za-z]+\s+)?)[^\s"'&,;}\\]{4,}`),
	// access_token=xyz in a query string, "access_token":"xyz" in JSON; the same for
	// the other names secrets travel under.
	regexp.MustCompile(`(?i)(\b(?:access_token|token|app_secret|client_secret|password|api_key|apikey|secret)\\?"?\s*[:=]\s*\\?"?)[^\s"'&,;}\\]{4,}`),
	// A Meta access token, wherever it stands: EAA followed by a long base62 run.
	regexp.MustCompile(`()\bEAA[A-Za-z0-9]{20,}`),
}

// Text returns s with every secret of secrets, and anything shaped like a credential,
// replaced by Mark. It is cheap when there is nothing to replace.
func Text(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) >= minSecret && strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, Mark)
		}
	}
	for _, re := range shapes {
		s = re.ReplaceAllString(s, "${1}"+Mark)
	}
	return s
}
