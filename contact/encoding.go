package contact

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/wasla/wasla/chat"
)

// The compact encoding of a profile and a session, in which the store keeps them: every
// message loads and commits both, so their encoding is most of the work a message costs
// the store, and they stay in Redis for as long as the contact's session lives.
//
// An encoding starts with the byte 1 (JSON starts with '{'), then holds one struct: its
// fields as a tag byte and a value, only those that are not empty, and a 0 byte at the end.
// Strings are a uvarint length and the bytes; integers varints; times varint seconds and
// uvarint nanoseconds of Unix time (a zero time is left out); slices and maps a uvarint count
// and their elements; nested structs their fields up to their own 0 byte. Session variables
// are tagged values of JSON's types (null, true, false, number, string, array, object), and
// anything else is kept as its JSON, so a variable loads exactly as a JSON round trip would
// give it back: numbers as float64, arrays as []any, objects as map[string]any.
//
// The decoders also read JSON, the encoding before this one, so stored contacts load
// whichever they were written with. A tag they do not know is an error, not skipped: a
// field would otherwise be lost by the next commit.
const encodingMark = 1

// Field tags of Contact.
const (
	tagContactID = iota + 1
	tagUserID
	tagName
	tagLanguage
	tagTags
	tagAttrs
	tagOptedOut
	tagOptedOutAt
	tagLastNumber
	tagWindows
	tagRouting
)

// Field tags of Routing and Invite.
const (
	tagRoutingNumber = iota + 1
	tagRoutingInvite
)

const (
	tagInviteKind = iota + 1
	tagInviteFrom
	tagInviteVia
	tagInviteAt
)

// Field tags of Session.
const (
	tagFlow = iota + 1
	tagStep
	tagVars
	tagAwait
	tagMode
	tagQueue
	tagReturnAfter
	tagStack
	tagStarted
	tagLastInbound
	tagPending
	tagTimers
	tagReturnTo
)

// Field tags of Await and Timer.
const (
	tagAwaitKind = iota + 1
	tagAwaitFlow
	tagAwaitStep
	tagAwaitRetries
	tagAwaitFingerprint
)

const (
	tagTimerKind = iota + 1
	tagTimerDue
	tagTimerFlow
	tagTimerStep
	tagTimerStack
)

// Field tags of chat.Inbound.
const (
	tagInID = iota + 1
	tagInContact
	tagInUserID
	tagInProfileName
	tagInNumber
	tagInKind
	tagInText
	tagInReplyID
	tagInMedia    // JSON: rare, and many fields
	tagInLocation // JSON
	tagInContextID
	tagInCampaign
	tagInReferral
	tagInAt
	tagInCall
)

// Value tags of session variables.
const (
	valNull   = 'n'
	valTrue   = 't'
	valFalse  = 'f'
	valNumber = 'd'
	valString = 's'
	valArray  = 'a'
	valObject = 'm'
	valJSON   = 'j' // any other type, as encoding/json writes it
)

// AppendContact appends c's compact encoding to b.
func AppendContact(b []byte, c *Contact) []byte {
	b = append(b, encodingMark)
	b = putString(b, tagContactID, string(c.ID))
	b = putString(b, tagUserID, c.UserID)
	b = putString(b, tagName, c.Name)
	b = putString(b, tagLanguage, c.Language)
	if len(c.Tags) > 0 {
		b = append(b, tagTags)
		b = binary.AppendUvarint(b, uint64(len(c.Tags)))
		for _, t := range c.Tags {
			b = appendString(b, t)
		}
	}
	if len(c.Attrs) > 0 {
		b = append(b, tagAttrs)
		b = binary.AppendUvarint(b, uint64(len(c.Attrs)))
		for k, v := range c.Attrs {
			b = appendString(appendString(b, k), v)
		}
	}
	if c.OptedOut {
		b = append(b, tagOptedOut)
	}
	b = putTime(b, tagOptedOutAt, c.OptedOutAt)
	b = putString(b, tagLastNumber, string(c.LastNumber))
	if len(c.Windows) > 0 {
		b = append(b, tagWindows)
		b = binary.AppendUvarint(b, uint64(len(c.Windows)))
		for n, at := range c.Windows {
			b = appendTime(appendString(b, string(n)), at)
		}
	}
	if r := c.Routing; r != nil {
		b = append(b, tagRouting)
		b = putString(b, tagRoutingNumber, string(r.Number))
		if in := r.Invite; in != nil {
			b = append(b, tagRoutingInvite)
			b = putString(b, tagInviteKind, in.Kind)
			b = putString(b, tagInviteFrom, string(in.From))
			b = putString(b, tagInviteVia, string(in.Via))
			b = putTime(b, tagInviteAt, in.At)
			b = append(b, 0)
		}
		b = append(b, 0)
	}
	return append(b, 0)
}

// DecodeContact decodes a profile stored with AppendContact, or as JSON, into c.
func DecodeContact(data string, c *Contact) error {
	if isJSON(data) {
		return decodeJSON(data, c, "profile")
	}
	d := decoder{s: data}
	d.mark()
	for tag := d.tag(); tag != 0; tag = d.tag() {
		switch tag {
		case tagContactID:
			c.ID = chat.ContactID(d.str())
		case tagUserID:
			c.UserID = d.str()
		case tagName:
			c.Name = d.str()
		case tagLanguage:
			c.Language = d.str()
		case tagTags:
			n := d.count()
			c.Tags = make([]string, 0, n)
			for range n {
				c.Tags = append(c.Tags, d.str())
			}
		case tagAttrs:
			n := d.count()
			c.Attrs = make(map[string]string, n)
			for range n {
				k := d.str()
				c.Attrs[k] = d.str()
			}
		case tagOptedOut:
			c.OptedOut = true
		case tagOptedOutAt:
			c.OptedOutAt = d.time()
		case tagLastNumber:
			c.LastNumber = chat.NumberID(d.str())
		case tagWindows:
			n := d.count()
			c.Windows = make(map[chat.NumberID]time.Time, n)
			for range n {
				k := chat.NumberID(d.str())
				c.Windows[k] = d.time()
			}
		case tagRouting:
			c.Routing = d.routing()
		default:
			d.unknown("profile", tag)
		}
	}
	return d.end("profile")
}

func (d *decoder) routing() *Routing {
	r := &Routing{}
	for tag := d.tag(); tag != 0; tag = d.tag() {
		switch tag {
		case tagRoutingNumber:
			r.Number = chat.NumberID(d.str())
		case tagRoutingInvite:
			in := &Invite{}
			for tag := d.tag(); tag != 0; tag = d.tag() {
				switch tag {
				case tagInviteKind:
					in.Kind = d.str()
				case tagInviteFrom:
					in.From = chat.NumberID(d.str())
				case tagInviteVia:
					in.Via = chat.NumberID(d.str())
				case tagInviteAt:
					in.At = d.time()
				default:
					d.unknown("invitation", tag)
				}
			}
			r.Invite = in
		default:
			d.unknown("routing", tag)
		}
	}
	return r
}

// AppendSession appends s's compact encoding to b. It fails only for a variable that JSON
// cannot encode either (a channel, a NaN), or a pending message that JSON cannot encode.
func AppendSession(b []byte, s *Session) ([]byte, error) {
	b = append(b, encodingMark)
	b = putString(b, tagFlow, s.Flow)
	b = putString(b, tagStep, s.Step)
	if len(s.Vars) > 0 {
		b = append(b, tagVars)
		b = binary.AppendUvarint(b, uint64(len(s.Vars)))
		for k, v := range s.Vars {
			var err error
			if b, err = appendValue(appendString(b, k), v); err != nil {
				return nil, fmt.Errorf("variable %s: %w", k, err)
			}
		}
	}
	if a := s.Await; a != nil {
		b = append(b, tagAwait)
		b = putString(b, tagAwaitKind, string(a.Kind))
		b = putString(b, tagAwaitFlow, a.Flow)
		b = putString(b, tagAwaitStep, a.Step)
		b = putInt(b, tagAwaitRetries, int64(a.Retries))
		b = putString(b, tagAwaitFingerprint, a.Fingerprint)
		b = append(b, 0)
	}
	b = putString(b, tagMode, string(s.Mode))
	b = putString(b, tagQueue, s.Queue)
	b = putInt(b, tagReturnAfter, int64(s.ReturnAfter))
	if len(s.Stack) > 0 {
		b = appendFrames(append(b, tagStack), s.Stack)
	}
	if s.ReturnTo != nil {
		b = appendFrames(append(b, tagReturnTo), []Frame{*s.ReturnTo})
	}
	b = putTime(b, tagStarted, s.Started)
	b = putTime(b, tagLastInbound, s.LastInbound)
	if len(s.Pending) > 0 {
		b = binary.AppendUvarint(append(b, tagPending), uint64(len(s.Pending)))
		for i := range s.Pending {
			var err error
			if b, err = appendInbound(b, &s.Pending[i]); err != nil {
				return nil, fmt.Errorf("pending message %d: %w", i, err)
			}
		}
	}
	if len(s.Timers) > 0 {
		b = append(b, tagTimers)
		b = binary.AppendUvarint(b, uint64(len(s.Timers)))
		for i := range s.Timers {
			t := &s.Timers[i]
			b = putString(b, tagTimerKind, string(t.Kind))
			if !t.Due.IsZero() {
				b = appendTime(append(b, tagTimerDue), t.Due)
			}
			b = putString(b, tagTimerFlow, t.Flow)
			b = putString(b, tagTimerStep, t.Step)
			if len(t.Stack) > 0 {
				b = appendFrames(append(b, tagTimerStack), t.Stack)
			}
			b = append(b, 0)
		}
	}
	return append(b, 0), nil
}

// DecodeSession decodes a session stored with AppendSession, or as JSON, into s.
func DecodeSession(data string, s *Session) error {
	if isJSON(data) {
		return decodeJSON(data, s, "session")
	}
	d := decoder{s: data}
	d.mark()
	for tag := d.tag(); tag != 0; tag = d.tag() {
		switch tag {
		case tagFlow:
			s.Flow = d.str()
		case tagStep:
			s.Step = d.str()
		case tagVars:
			n := d.count()
			s.Vars = make(map[string]any, n)
			for range n {
				k := d.str()
				s.Vars[k] = d.value(0)
			}
		case tagAwait:
			a := &Await{}
			for tag := d.tag(); tag != 0; tag = d.tag() {
				switch tag {
				case tagAwaitKind:
					a.Kind = AwaitKind(d.str())
				case tagAwaitFlow:
					a.Flow = d.str()
				case tagAwaitStep:
					a.Step = d.str()
				case tagAwaitRetries:
					a.Retries = int(d.varint())
				case tagAwaitFingerprint:
					a.Fingerprint = d.str()
				default:
					d.unknown("await", tag)
				}
			}
			s.Await = a
		case tagMode:
			s.Mode = Mode(d.str())
		case tagQueue:
			s.Queue = d.str()
		case tagReturnAfter:
			s.ReturnAfter = time.Duration(d.varint())
		case tagStack:
			s.Stack = d.frames()
		case tagReturnTo:
			if fs := d.frames(); len(fs) == 1 {
				s.ReturnTo = &fs[0]
			} else {
				d.fail(fmt.Errorf("return_to holds %d frames, want 1", len(fs)))
			}
		case tagStarted:
			s.Started = d.time()
		case tagLastInbound:
			s.LastInbound = d.time()
		case tagPending:
			n := d.count()
			s.Pending = make([]chat.Inbound, n)
			for i := range s.Pending {
				d.inbound(&s.Pending[i])
			}
		case tagTimers:
			n := d.count()
			s.Timers = make([]Timer, 0, n)
			for range n {
				var t Timer
				for tag := d.tag(); tag != 0; tag = d.tag() {
					switch tag {
					case tagTimerKind:
						t.Kind = TimerKind(d.str())
					case tagTimerDue:
						t.Due = d.time()
					case tagTimerFlow:
						t.Flow = d.str()
					case tagTimerStep:
						t.Step = d.str()
					case tagTimerStack:
						t.Stack = d.frames()
					default:
						d.unknown("timer", tag)
					}
				}
				s.Timers = append(s.Timers, t)
			}
		default:
			d.unknown("session", tag)
		}
	}
	return d.end("session")
}

// AppendInbound appends the compact encoding of an inbound message to b: how the store
// queues messages in the intake. It fails only for a location JSON cannot encode (a NaN).
func AppendInbound(b []byte, m *chat.Inbound) ([]byte, error) {
	return appendInbound(append(b, encodingMark), m)
}

// DecodeInbound decodes a message stored with AppendInbound, or as JSON, into m. The
// strings of m share data's memory.
func DecodeInbound(data string, m *chat.Inbound) error {
	if isJSON(data) {
		return decodeJSON(data, m, "message")
	}
	d := decoder{s: data}
	d.mark()
	d.inbound(m)
	return d.end("message")
}

func appendInbound(b []byte, m *chat.Inbound) ([]byte, error) {
	b = putString(b, tagInID, m.ID)
	b = putString(b, tagInContact, string(m.Contact))
	b = putString(b, tagInUserID, m.UserID)
	b = putString(b, tagInProfileName, m.ProfileName)
	b = putString(b, tagInNumber, string(m.Number))
	b = putString(b, tagInKind, string(m.Kind))
	b = putString(b, tagInText, m.Text)
	b = putString(b, tagInReplyID, m.ReplyID)
	var err error
	if m.Media != nil {
		if b, err = appendJSON(append(b, tagInMedia), m.Media); err != nil {
			return nil, err
		}
	}
	if m.Location != nil {
		if b, err = appendJSON(append(b, tagInLocation), m.Location); err != nil {
			return nil, err
		}
	}
	b = putString(b, tagInContextID, m.ContextID)
	b = putString(b, tagInCampaign, m.Campaign)
	b = putString(b, tagInReferral, m.Referral)
	b = putTime(b, tagInAt, m.At)
	if m.Call != nil {
		// Calls are rare beside messages; like media they keep their JSON.
		if b, err = appendJSON(append(b, tagInCall), m.Call); err != nil {
			return nil, err
		}
	}
	return append(b, 0), nil
}

// appendJSON appends v's JSON as a string.
func appendJSON(b []byte, v any) ([]byte, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return appendString(b, string(j)), nil
}

func (d *decoder) inbound(m *chat.Inbound) {
	for tag := d.tag(); tag != 0; tag = d.tag() {
		switch tag {
		case tagInID:
			m.ID = d.str()
		case tagInContact:
			m.Contact = chat.ContactID(d.str())
		case tagInUserID:
			m.UserID = d.str()
		case tagInProfileName:
			m.ProfileName = d.str()
		case tagInNumber:
			m.Number = chat.NumberID(d.str())
		case tagInKind:
			m.Kind = chat.Kind(d.str())
		case tagInText:
			m.Text = d.str()
		case tagInReplyID:
			m.ReplyID = d.str()
		case tagInMedia:
			m.Media = &chat.Media{}
			d.json(m.Media)
		case tagInLocation:
			m.Location = &chat.Location{}
			d.json(m.Location)
		case tagInContextID:
			m.ContextID = d.str()
		case tagInCampaign:
			m.Campaign = d.str()
		case tagInReferral:
			m.Referral = d.str()
		case tagInAt:
			m.At = d.time()
		case tagInCall:
			m.Call = &chat.Call{}
			d.json(m.Call)
		default:
			d.unknown("message", tag)
		}
	}
}

// json decodes a JSON string of the encoding into v.
func (d *decoder) json(v any) {
	j := d.str()
	if d.err != nil {
		return
	}
	if err := json.Unmarshal([]byte(j), v); err != nil {
		d.fail(err)
	}
}

// isJSON reports whether data is in the encoding before the compact one: JSON.
func isJSON(data string) bool { return len(data) > 0 && data[0] == '{' }

func decodeJSON(data string, v any, what string) error {
	if err := json.Unmarshal([]byte(data), v); err != nil {
		return fmt.Errorf("decoding %s: %w", what, err)
	}
	return nil
}

func appendFrames(b []byte, fs []Frame) []byte {
	b = binary.AppendUvarint(b, uint64(len(fs)))
	for _, f := range fs {
		b = appendString(appendString(b, f.Flow), f.Step)
	}
	return b
}

func (d *decoder) frames() []Frame {
	n := d.count()
	fs := make([]Frame, 0, n)
	for range n {
		flow := d.str()
		fs = append(fs, Frame{Flow: flow, Step: d.str()})
	}
	return fs
}

// appendValue appends a session variable: JSON's types tagged, anything else as its JSON.
func appendValue(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, valNull), nil
	case bool:
		if v {
			return append(b, valTrue), nil
		}
		return append(b, valFalse), nil
	case string:
		return appendString(append(b, valString), v), nil
	case float64:
		return appendNumber(b, v)
	case int:
		return appendNumber(b, float64(v))
	case int64:
		return appendNumber(b, float64(v))
	case []any:
		b = binary.AppendUvarint(append(b, valArray), uint64(len(v)))
		for i, e := range v {
			var err error
			if b, err = appendValue(b, e); err != nil {
				return nil, fmt.Errorf("element %d: %w", i, err)
			}
		}
		return b, nil
	case map[string]any:
		b = binary.AppendUvarint(append(b, valObject), uint64(len(v)))
		for k, e := range v {
			var err error
			if b, err = appendValue(appendString(b, k), e); err != nil {
				return nil, fmt.Errorf("key %s: %w", k, err)
			}
		}
		return b, nil
	}
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return appendString(append(b, valJSON), string(j)), nil
}

func appendNumber(b []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("unsupported number %v", f)
	}
	return binary.LittleEndian.AppendUint64(append(b, valNumber), math.Float64bits(f)), nil
}

// maxDepth bounds the nesting of variables a decoder follows, as encoding/json does.
const maxDepth = 10000

func (d *decoder) value(depth int) any {
	if depth > maxDepth {
		d.fail(errors.New("variables nested too deep"))
		return nil
	}
	switch t := d.byte(); t {
	case valNull:
		return nil
	case valTrue:
		return true
	case valFalse:
		return false
	case valString:
		return d.str()
	case valNumber:
		if d.err != nil || len(d.s)-d.i < 8 {
			d.fail(errors.New("truncated number"))
			return nil
		}
		f := math.Float64frombits(binary.LittleEndian.Uint64([]byte(d.s[d.i : d.i+8])))
		d.i += 8
		return f
	case valArray:
		n := d.count()
		a := make([]any, 0, n)
		for range n {
			a = append(a, d.value(depth+1))
		}
		return a
	case valObject:
		n := d.count()
		m := make(map[string]any, n)
		for range n {
			k := d.str()
			m[k] = d.value(depth + 1)
		}
		return m
	case valJSON:
		j := d.str()
		if d.err != nil {
			return nil
		}
		var v any
		if err := json.Unmarshal([]byte(j), &v); err != nil {
			d.fail(err)
		}
		return v
	default:
		if d.err == nil {
			d.fail(fmt.Errorf("unknown value type %d", t))
		}
		return nil
	}
}

func putString(b []byte, tag byte, s string) []byte {
	if s == "" {
		return b
	}
	return appendString(append(b, tag), s)
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func putInt(b []byte, tag byte, n int64) []byte {
	if n == 0 {
		return b
	}
	return binary.AppendVarint(append(b, tag), n)
}

func putTime(b []byte, tag byte, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	return appendTime(append(b, tag), t)
}

// appendTime appends t's instant. A zero time inside a map or a timer is kept as such.
func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, 0)
	}
	b = append(b, 1)
	b = binary.AppendVarint(b, t.Unix())
	return binary.AppendUvarint(b, uint64(t.Nanosecond()))
}

// decoder reads an encoding; the first problem sticks in err and ends the walk.
type decoder struct {
	s   string
	i   int
	err error
}

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
	d.i = len(d.s)
}

func (d *decoder) mark() {
	if d.byte() != encodingMark && d.err == nil {
		d.fail(errors.New("not a compact encoding"))
	}
}

func (d *decoder) byte() byte {
	if d.i >= len(d.s) {
		d.fail(errors.New("truncated"))
		return 0
	}
	c := d.s[d.i]
	d.i++
	return c
}

// tag reads a field tag; 0 ends the struct, and so does any error.
func (d *decoder) tag() byte {
	if d.err != nil {
		return 0
	}
	return d.byte()
}

func (d *decoder) uvarint() uint64 {
	var x uint64
	var s uint
	for n := 0; ; n++ {
		if n == binary.MaxVarintLen64 {
			d.fail(errors.New("varint overflows"))
			return 0
		}
		c := d.byte()
		if d.err != nil {
			return 0
		}
		if c < 0x80 {
			return x | uint64(c)<<s
		}
		x |= uint64(c&0x7f) << s
		s += 7
	}
}

func (d *decoder) varint() int64 {
	u := d.uvarint()
	x := int64(u >> 1)
	if u&1 != 0 {
		x = ^x
	}
	return x
}

// count reads a length of elements that each take at least one byte: a longer one cannot
// be right, and must not size an allocation.
func (d *decoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.s)-d.i) {
		d.fail(errors.New("count beyond the end"))
		return 0
	}
	return int(n)
}

// str returns a string of the encoding without copying it.
func (d *decoder) str() string {
	n := d.uvarint()
	if n > uint64(len(d.s)-d.i) {
		d.fail(errors.New("string beyond the end"))
		return ""
	}
	s := d.s[d.i : d.i+int(n)]
	d.i += int(n)
	return s
}

func (d *decoder) time() time.Time {
	if d.byte() == 0 {
		return time.Time{}
	}
	sec := d.varint()
	nsec := d.uvarint()
	if nsec >= 1e9 {
		d.fail(errors.New("bad nanoseconds"))
		return time.Time{}
	}
	t := time.Unix(sec, int64(nsec)).UTC()
	if y := t.Year(); y < 0 || y > 9999 { // what JSON could not have written
		d.fail(errors.New("time out of range"))
		return time.Time{}
	}
	return t
}

func (d *decoder) unknown(what string, tag byte) {
	d.fail(fmt.Errorf("unknown %s field %d (written by a newer version?)", what, tag))
}

func (d *decoder) end(what string) error {
	if d.err != nil {
		return fmt.Errorf("decoding %s: %w", what, d.err)
	}
	if d.i != len(d.s) {
		return fmt.Errorf("decoding %s: %d bytes after the end", what, len(d.s)-d.i)
	}
	return nil
}
