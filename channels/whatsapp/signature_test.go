package whatsapp

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestVerifySignature(t *testing.T) {
	// Raw bytes with escaped non-ASCII, "\/" and "@": the bytes Meta signs. Re-encoding them
	// with encoding/json would change them and break the signature.
	body, err := os.ReadFile(filepath.Join("testdata", "webhooks", "text_non_ascii_forwarded.json"))
	if err != nil {
		t.Fatal(err)
	}
	const secret = "app-secret-3f9c"
	good := Sign(secret, body)
	// Known answer, computed independently:
	//   printf '%s' '{"a":1}' | openssl dgst -sha256 -hmac app-secret-3f9c
	if got, want := Sign(secret, []byte(`{"a":1}`)), "sha256=7302a4c28108d6beac9950becb526b419fd21ab3149772f6495d50a130591e7f"; got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	tests := []struct {
		name   string
		secret string
		body   []byte
		header string
		want   error
	}{
		{"valid", secret, body, good, nil},
		{"valid with surrounding space", secret, body, "  " + good + " ", nil},
		{"missing", secret, body, "", ErrMissingSignature},
		{"sha1 header value", secret, body, "sha1=" + strings.TrimPrefix(good, "sha256=")[:40], ErrBadSignature},
		{"no prefix", secret, body, strings.TrimPrefix(good, "sha256="), ErrBadSignature},
		{"uppercase prefix", secret, body, "SHA256=" + strings.TrimPrefix(good, "sha256="), ErrBadSignature},
		{"not hex", secret, body, "sha256=zz" + good[9:], ErrBadSignature},
		{"short digest", secret, body, good[:len(good)-2], ErrBadSignature},
		{"wrong secret", "other-secret", body, good, ErrBadSignature},
		{"body changed by one byte", secret, append([]byte(" "), body...), good, ErrBadSignature},
		{"no app secret", "", body, good, ErrNoAppSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifySignature(tt.secret, tt.body, tt.header)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("VerifySignature = %v, want %v", err, tt.want)
			}
			// The Verifier agrees, also when its HMAC is reused after a mismatch.
			v := NewVerifier(tt.secret)
			for range 2 {
				if verr := v.Verify(tt.body, tt.header); !errors.Is(verr, tt.want) || (tt.want == nil) != (verr == nil) {
					t.Fatalf("Verifier.Verify = %v, want %v", verr, tt.want)
				}
				_ = v.Verify([]byte("other body"), tt.header)
			}
			if err != nil && tt.secret != "" && strings.Contains(err.Error(), tt.secret) {
				t.Errorf("error text leaks the secret: %v", err)
			}
		})
	}
}

func TestVerifySignatureUppercaseHex(t *testing.T) {
	body := []byte(`{"object":"whatsapp_business_account","entry":[]}`)
	header := "sha256=" + strings.ToUpper(strings.TrimPrefix(Sign("s", body), "sha256="))
	if err := VerifySignature("s", body, header); err != nil {
		t.Errorf("uppercase hex digest refused: %v", err)
	}
}

func TestVerifyChallenge(t *testing.T) {
	q := func(s string) url.Values {
		v, err := url.ParseQuery(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name  string
		query string
		token string
		want  string
		err   error
	}{
		{"valid", "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock", "meatyhamhock", "1158201444", nil},
		{"wrong token", "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=nope", "meatyhamhock", "", ErrVerifyToken},
		{"token missing", "hub.mode=subscribe&hub.challenge=1158201444", "meatyhamhock", "", ErrVerifyToken},
		{"no configured token", "hub.mode=subscribe&hub.challenge=1&hub.verify_token=", "", "", ErrVerifyToken},
		{"wrong mode", "hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=meatyhamhock", "meatyhamhock", "", ErrHandshake},
		{"no challenge", "hub.mode=subscribe&hub.verify_token=meatyhamhock", "meatyhamhock", "", ErrHandshake},
		{"plain GET", "", "meatyhamhock", "", ErrHandshake},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := VerifyChallenge(q(tt.query), tt.token)
			if got != tt.want || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Fatalf("VerifyChallenge = %q, %v; want %q, %v", got, err, tt.want, tt.err)
			}
		})
	}
}
