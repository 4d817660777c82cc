package store

import (
	"testing"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/contact"
	"github.com/wasla/wasla/internal/redistest"
)

// TestProfiles reads committed profiles in one batch, nil for a contact never committed,
// on miniredis and on real redis-server.
func TestProfiles(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for name, open := range map[string]func() *Redis{
		"miniredis": func() *Redis { s, _, _ := miniStore(t, Options{}); return s },
		"redis": func() *Redis {
			srv := redistest.Start(t)
			if srv == nil {
				t.Skip("no redis-server")
			}
			s, err := New(srv.Client(t), Options{})
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	} {
		t.Run(name, func(t *testing.T) {
			s := open()
			ctx := t.Context()
			st := &contact.State{Contact: contact.Contact{ID: "966500000001", Name: "سارة", Tags: []string{"vip"},
				Windows: map[chat.NumberID]time.Time{"1002": at}}}
			if err := s.Commit(ctx, st, nil); err != nil {
				t.Fatal(err)
			}
			got, err := s.Profiles(ctx, []chat.ContactID{"966500000002", "966500000001"})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got[0] != nil || got[1] == nil || got[1].Name != "سارة" || !got[1].HasTag("vip") || !got[1].Windows["1002"].Equal(at) {
				t.Fatalf("Profiles = %+v", got)
			}
		})
	}
}
