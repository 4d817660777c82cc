package store

import (
	"hash/fnv"
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

// TestBucketMatchesFNV1a: the hand-written hash must bucket exactly as hash/fnv's FNV-1a,
// or every stored contact would move to another bucket.
func TestBucketMatchesFNV1a(t *testing.T) {
	for _, id := range []chat.ContactID{"", "1", "966500000001", "US.13491208655302741918", "مرحبا", "a\x00b"} {
		h := fnv.New32a()
		_, _ = h.Write([]byte(id))
		if got, want := bucket(id), int(h.Sum32()%Buckets); got != want {
			t.Errorf("bucket(%q) = %d, FNV-1a gives %d", id, got, want)
		}
	}
}

func TestKeysOfNamesEveryKey(t *testing.T) {
	r := &Redis{prefix: "wasla"}
	k := r.keysOf("966500000001")
	tag := bucketTag(bucket("966500000001"))
	want := keys{
		contact: "wasla:" + tag + ":c:966500000001:contact", session: "wasla:" + tag + ":c:966500000001:session",
		history: "wasla:" + tag + ":c:966500000001:history", seen: "wasla:" + tag + ":c:966500000001:seen",
		lease: "wasla:" + tag + ":c:966500000001:lease", inbox: "wasla:" + tag + ":c:966500000001:inbox",
		outbox: "wasla:" + tag + ":c:966500000001:outbox", olease: "wasla:" + tag + ":c:966500000001:olease",
		ostate: "wasla:" + tag + ":c:966500000001:ostate",
		due:    "wasla:" + tag + ":due", contacts: "wasla:" + tag + ":contacts", ready: "wasla:" + tag + ":ready",
		queued: "wasla:" + tag + ":queued", dead: "wasla:" + tag + ":dead", outq: "wasla:" + tag + ":outq",
	}
	if k != want {
		t.Errorf("keysOf:\n got %+v\nwant %+v", k, want)
	}
}

func BenchmarkKeysOf(b *testing.B) {
	r := &Redis{prefix: "wasla"}
	b.ReportAllocs()
	for b.Loop() {
		r.keysOf("966500000001")
	}
}
