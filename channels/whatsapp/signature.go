package whatsapp

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
)

// SignatureHeader is the header Meta signs webhook POSTs with. The older SHA-1
// X-Hub-Signature header is deliberately not supported.
const SignatureHeader = "X-Hub-Signature-256"

const signaturePrefix = "sha256="

// VerifySignature checks header, the value of X-Hub-Signature-256, against the
// HMAC-SHA256 of body keyed with the app secret. body must be the raw bytes as received:
// Meta signs its own escaped encoding, so hashing re-serialised JSON fails on any
// non-ASCII character, "/" or "@". The comparison is constant-time.
//
// It returns nil, or an error wrapping ErrMissingSignature, ErrBadSignature or
// ErrNoAppSecret. Error texts never contain the secret or the expected digest.
func VerifySignature(appSecret string, body []byte, header string) error {
	if appSecret == "" {
		return ErrNoAppSecret
	}
	header = strings.TrimSpace(header)
	if header == "" {
		return ErrMissingSignature
	}
	hexSum, ok := strings.CutPrefix(header, signaturePrefix)
	if !ok {
		return fmt.Errorf("%w: header does not start with %q", ErrBadSignature, signaturePrefix)
	}
	got, err := hex.DecodeString(hexSum)
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("%w: digest is not %d hex-encoded bytes", ErrBadSignature, sha256.Size)
	}
	if !hmac.Equal(got, sum(appSecret, body)) {
		return fmt.Errorf("%w: digest does not match the body", ErrBadSignature)
	}
	return nil
}

// Sign returns the X-Hub-Signature-256 value Meta would send for body: "sha256=" and the
// lowercase hex HMAC-SHA256. Tests, the load benchmark and fake senders use it.
func Sign(appSecret string, body []byte) string {
	return signaturePrefix + hex.EncodeToString(sum(appSecret, body))
}

func sum(appSecret string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(appSecret))
	m.Write(body)
	return m.Sum(nil)
}

// VerifyChallenge answers Meta's GET verification handshake
// (?hub.mode=subscribe&hub.verify_token=...&hub.challenge=...). It returns the challenge,
// which the server must echo as the whole 200 response body, or an error wrapping
// ErrHandshake or ErrVerifyToken, which the server answers with 403. The token comparison
// is constant-time.
func VerifyChallenge(query url.Values, verifyToken string) (string, error) {
	if query.Get("hub.mode") != "subscribe" {
		return "", fmt.Errorf("%w: hub.mode is %q, want \"subscribe\"", ErrHandshake, query.Get("hub.mode"))
	}
	challenge := query.Get("hub.challenge")
	if challenge == "" {
		return "", fmt.Errorf("%w: hub.challenge is missing", ErrHandshake)
	}
	got := query.Get("hub.verify_token")
	if verifyToken == "" || subtle.ConstantTimeCompare([]byte(got), []byte(verifyToken)) != 1 {
		return "", ErrVerifyToken
	}
	return challenge, nil
}
