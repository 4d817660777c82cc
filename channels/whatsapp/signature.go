package whatsapp

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"hash"
	"net/url"
	"strings"
	"sync"
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
	return verify(hmac.New(sha256.New, []byte(appSecret)), body, header)
}

// Verifier is VerifySignature for one app secret, reusing its HMAC state between
// requests rather than building one (key schedule and two digests) per webhook. It is
// safe for concurrent use.
type Verifier struct {
	secret string
	macs   sync.Pool // of hash.Hash keyed with secret
}

// NewVerifier returns a verifier of the signatures made with appSecret.
func NewVerifier(appSecret string) *Verifier {
	v := &Verifier{secret: appSecret}
	v.macs.New = func() any { return hmac.New(sha256.New, []byte(appSecret)) }
	return v
}

// Verify is VerifySignature with the verifier's secret.
func (v *Verifier) Verify(body []byte, header string) error {
	if v.secret == "" {
		return ErrNoAppSecret
	}
	m := v.macs.Get().(hash.Hash)
	defer v.macs.Put(m)
	m.Reset()
	return verify(m, body, header)
}

// verify checks header against the HMAC m (keyed, reset) of body.
func verify(m hash.Hash, body []byte, header string) error {
	header = strings.TrimSpace(header)
	if header == "" {
		return ErrMissingSignature
	}
	hexSum, ok := strings.CutPrefix(header, signaturePrefix)
	if !ok {
		return fmt.Errorf("%w: header does not start with %q", ErrBadSignature, signaturePrefix)
	}
	var got, want [sha256.Size]byte
	if len(hexSum) != hex.EncodedLen(sha256.Size) {
		return fmt.Errorf("%w: digest is not %d hex-encoded bytes", ErrBadSignature, sha256.Size)
	}
	for i := range got {
		hi, ok1 := unhex(hexSum[2*i])
		lo, ok2 := unhex(hexSum[2*i+1])
		if !ok1 || !ok2 {
			return fmt.Errorf("%w: digest is not %d hex-encoded bytes", ErrBadSignature, sha256.Size)
		}
		got[i] = hi<<4 | lo
	}
	m.Write(body)
	if !hmac.Equal(got[:], m.Sum(want[:0])) {
		return fmt.Errorf("%w: digest does not match the body", ErrBadSignature)
	}
	return nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
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
