package store

import (
	"fmt"
	"hash/fnv"
	"strings"

	"github.com/wasla/wasla/chat"
)

// Buckets is the number of hash-tag buckets contacts are spread over. A contact's keys and
// its bucket's timer index share the bucket's tag, so a commit touches one cluster slot;
// Due reads every bucket. The number is part of the key layout: changing it hides every
// stored contact, so it is a constant and not an option.
const Buckets = 1024

// keys names the Redis keys of one contact.
type keys struct {
	contact string // hash: v (version), p (profile JSON), h (last history entry id)
	session string // string: session JSON, expires after the idle time
	history string // stream: one entry per chat.Event, field e (event JSON)
	due     string // sorted set of the bucket: contact id scored by its earliest timer (unix ms)
}

// bucket returns the contact's bucket: FNV-1a of the id, modulo Buckets. It must never change.
func bucket(id chat.ContactID) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	return int(h.Sum32() % Buckets)
}

// bucketTag is the hash tag of bucket b, e.g. "{b:0412}".
func bucketTag(b int) string { return fmt.Sprintf("{b:%04d}", b) }

func (r *Redis) keysOf(id chat.ContactID) keys {
	base := r.prefix + ":" + bucketTag(bucket(id))
	c := base + ":c:" + string(id)
	return keys{
		contact: c + ":contact",
		session: c + ":session",
		history: c + ":history",
		due:     base + ":due",
	}
}

// dueKey is the timer index of bucket b.
func (r *Redis) dueKey(b int) string { return r.prefix + ":" + bucketTag(b) + ":due" }

// validPrefix rejects prefixes that would break the hash tag: Redis takes the first {...}
// of a key as its tag, so the prefix must not contain braces.
func validPrefix(p string) error {
	if p == "" {
		return fmt.Errorf("empty key prefix")
	}
	if strings.ContainsAny(p, "{}") {
		return fmt.Errorf("key prefix %q contains a brace; braces would change the keys' hash tag", p)
	}
	return nil
}
