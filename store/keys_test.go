package store

import (
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
)

// The bucket of a contact is part of the stored layout: if it changed, every stored contact
// would vanish from view. These values must never change.
func TestBucketIsStable(t *testing.T) {
	tests := []struct {
		id   chat.ContactID
		want int
	}{
		{"15551234567", 143},
		{"447700900123", 946},
		{"US.13491208655302741918", 246},
		{"", 453},
	}
	for _, tt := range tests {
		if got := bucket(tt.id); got != tt.want {
			t.Errorf("bucket(%q) = %d, want %d: the key layout changed", tt.id, got, tt.want)
		}
	}
}

func TestKeysOfOneContactShareOneTag(t *testing.T) {
	s, err := New(redis.NewClient(&redis.Options{}), Options{Prefix: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"15551234567", "US.1234", "odd{id}with:braces"} {
		k := s.keysOf(chat.ContactID(id))
		tag := hashTag(k.contact)
		if !strings.HasPrefix(tag, "b:") {
			t.Fatalf("contact key %q has hash tag %q, want the bucket's", k.contact, tag)
		}
		for _, key := range []string{k.session, k.history, k.seen, k.lease, k.inbox, k.due, k.contacts, k.ready, k.queued, k.dead} {
			if got := hashTag(key); got != tag {
				t.Errorf("key %q has hash tag %q, want %q like %q", key, got, tag, k.contact)
			}
		}
		if !strings.HasPrefix(k.contact, "acme:{") {
			t.Errorf("key %q does not start with the prefix", k.contact)
		}
	}
}

// hashTag returns what Redis Cluster hashes: the text between the first { and the next }.
func hashTag(key string) string {
	open := strings.IndexByte(key, '{')
	if open < 0 {
		return key
	}
	end := strings.IndexByte(key[open+1:], '}')
	if end <= 0 {
		return key
	}
	return key[open+1 : open+1+end]
}

func TestNewRejects(t *testing.T) {
	c := redis.NewClient(&redis.Options{})
	tests := []struct {
		name   string
		client redis.UniversalClient
		opts   Options
		want   string
	}{
		{"nil client", nil, Options{}, "store: nil redis client"},
		{"brace in prefix", c, Options{Prefix: "a{b"}, `store: key prefix "a{b" contains a brace; braces would change the keys' hash tag`},
		{"negative retention", c, Options{Retention: -1}, "store: negative history retention -1ns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.client, tt.opts)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("New = %v, want %q", err, tt.want)
			}
		})
	}
}
