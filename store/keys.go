package store

import (
	"fmt"
	"strings"

	"github.com/wasla/wasla/chat"
)

// Buckets is the number of hash-tag buckets contacts are spread over. A contact's keys and
// its bucket's timer index share the bucket's tag, so a commit touches one cluster slot;
// Due reads every bucket. The number is part of the key layout: changing it hides every
// stored contact, so it is a constant and not an option.
const Buckets = 1024

// Prefix returns the deployment's key prefix. The store owns it: the number registry
// (<prefix>:num:<id>) and the send rate limiter (<prefix>:rate:<id>) name their keys under
// the prefix they are given from here, so that one deployment's keys share one prefix.
func (r *Redis) Prefix() string { return r.prefix }

// keys names the Redis keys of one contact, and the keys of its bucket that its commits and
// its intake touch. All of them carry the bucket's hash tag.
type keys struct {
	contact string // hash: v (version), p, p1.. (profile, compact encoding), h (last history entry id), u (mapped user id)
	session string // string: the session (compact encoding), expires after the idle time
	history string // list: one entry per chat.Event, "<entry id> <event JSON>" (a stream when written before)
	seen    string // sorted set: inbound message ids committed, scored by commit time (unix ms)
	lease   string // string: the intake worker's fencing token, expires with the lease
	inbox   string // list: the contact's queued inbound messages (compact encoding), oldest first
	outbox  string // list: the contact's committed replies not yet sent (outbox entries), oldest first
	olease  string // string: the outbox sender's fencing token, expires with its lease
	ostate  string // hash: the first outbox entry's attempts: i (entry id), s (started), a (answered)

	due      string // sorted set of the bucket: contact id scored by its earliest timer (unix ms)
	contacts string // set of the bucket: every contact ever committed
	ready    string // sorted set of the bucket: contacts with a non-empty inbox, scored by push time
	queued   string // string of the bucket: how many messages its inboxes hold
	dead     string // list of the bucket: dead letters (DeadLetter JSON)
	outq     string // sorted set of the bucket: contacts with a non-empty outbox, scored by when to send (unix ms)
}

// bucket returns the contact's bucket: FNV-1a of the id, modulo Buckets. It must never change.
func bucket(id chat.ContactID) int {
	// FNV-1a, written out so that hashing allocates nothing (hash/fnv gives the same).
	h := uint32(2166136261)
	for i := 0; i < len(id); i++ {
		h ^= uint32(id[i])
		h *= 16777619
	}
	return int(h % Buckets)
}

// bucketTag is the hash tag of bucket b, e.g. "{b:0412}".
func bucketTag(b int) string { return bucketTags[b] }

// bucketTags holds every bucket's tag: the scans of the ready, outbox and timer indexes
// name all 1024 buckets' keys twice a second per replica.
var bucketTags = func() (tags [Buckets]string) {
	for b := range tags {
		tags[b] = fmt.Sprintf("{b:%04d}", b)
	}
	return tags
}()

// keysOf names every key of a contact. It runs twice per message (load and commit), so
// all the names are written into one buffer and cut from it: one allocation, not fifteen.
func (r *Redis) keysOf(id chat.ContactID) keys {
	b := bucket(id)
	suffixes := [...]string{":contact", ":session", ":history", ":seen", ":lease", ":inbox", ":outbox", ":olease", ":ostate", // the contact's
		":due", ":contacts", ":ready", ":queued", ":dead", ":outq"} // the bucket's
	const contactKeys = 9
	var ends [len(suffixes)]int
	var buf strings.Builder
	buf.Grow(len(suffixes)*(len(r.prefix)+len(":{b:0000}")+len(":contacts")) + contactKeys*(len(":c:")+len(id)))
	for i, suffix := range suffixes {
		buf.WriteString(r.prefix)
		buf.WriteString(":{b:")
		buf.WriteByte(byte('0' + b/1000%10))
		buf.WriteByte(byte('0' + b/100%10))
		buf.WriteByte(byte('0' + b/10%10))
		buf.WriteByte(byte('0' + b%10))
		buf.WriteByte('}')
		if i < contactKeys {
			buf.WriteString(":c:")
			buf.WriteString(string(id))
		}
		buf.WriteString(suffix)
		ends[i] = buf.Len()
	}
	all := buf.String()
	key := func(i int) string {
		start := 0
		if i > 0 {
			start = ends[i-1]
		}
		return all[start:ends[i]]
	}
	return keys{
		contact: key(0), session: key(1), history: key(2), seen: key(3), lease: key(4), inbox: key(5),
		outbox: key(6), olease: key(7), ostate: key(8),
		due: key(9), contacts: key(10), ready: key(11), queued: key(12), dead: key(13), outq: key(14),
	}
}

// bucketKey is the key of bucket b named name: "due", "contacts", "ready", "queued", "dead",
// "outq".
func (r *Redis) bucketKey(b int, name string) string {
	return r.prefix + ":" + bucketTags[b] + ":" + name
}

// dueKey is the timer index of bucket b.
func (r *Redis) dueKey(b int) string { return r.bucketKey(b, "due") }

// userKey is the key mapping Meta's user id to a contact id. It carries the bucket of the
// user id, not of the contact: a lookup knows only the user id. On a cluster it therefore
// lives in another slot than the contact's keys, and the commit script cannot write it.
func (r *Redis) userKey(userID string) string {
	return r.prefix + ":" + bucketTag(bucket(chat.ContactID(userID))) + ":user:" + userID
}

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
