package store

import (
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/contact"
	"github.com/wasla/wasla/internal/redistest"
)

func TestOpenServer(t *testing.T) {
	srv := redistest.Start(t)
	ctx := t.Context()
	for _, u := range []string{srv.URL(), srv.URL() + "/2", srv.URL() + "?dial_timeout=2s"} {
		c, err := Open(ctx, u)
		if err != nil {
			t.Fatalf("Open(%q): %v", u, err)
		}
		if _, ok := c.(*redis.Client); !ok {
			t.Errorf("Open(%q) gave a %T, want *redis.Client", u, c)
		}
		_ = c.Close()
	}
}

func TestOpenCluster(t *testing.T) {
	cl := redistest.StartCluster(t)
	ctx := t.Context()
	addrs := cl.Addrs()
	tests := []struct{ name, url string }{
		{"comma list", "redis://" + strings.Join(addrs, ",")},
		{"ParseClusterURL form", cl.URL()},
		{"one node, detected", "redis://" + addrs[1]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Open(ctx, tt.url)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, ok := c.(*redis.ClusterClient); !ok {
				t.Fatalf("got a %T, want *redis.ClusterClient", c)
			}
			// Contacts in every bucket, so every master is written to.
			s, err := New(c, Options{Prefix: "open" + fmt.Sprint(len(tt.name))})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 50 {
				st := &contact.State{Contact: contact.Contact{ID: chat.ContactID(fmt.Sprint(i))}}
				if err := s.Commit(ctx, st, nil); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	// A port nobody listens on: take one and close it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	_ = l.Close()

	tests := []struct {
		name, url string
		want      string // prefix of the error
	}{
		{"bad port keeps the password out", "redis://user:s3cret@host:port", "store: opening redis: invalid URL: invalid port"},
		{"scheme", "http://localhost:6379", `store: opening redis http://localhost:6379: scheme "http", want redis or rediss`},
		{"nobody listens", "redis://user:s3cret@" + closed, "store: connecting to redis at redis://user:xxxxx@" + closed + ": "},
		{"cluster with a database", "redis://a:1,b:2/3", "store: opening redis cluster redis://a:1,b:2/3: database 3 in the URL: a cluster has only database 0"},
		{"empty node", "redis://a:1,,b:2", "store: opening redis cluster redis://a:1,,b:2: empty address in the node list"},
		{"unknown option", "redis://" + closed + "?colour=blue", "store: opening redis redis://" + closed + "?colour=blue: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Open(t.Context(), tt.url)
			if err == nil {
				_ = c.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("error %q, want it to start with %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("error %q shows the password", err)
			}
		})
	}
}

func TestEmbedded(t *testing.T) {
	ctx := t.Context()
	c, stop, err := Embedded(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	s, err := New(c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	st := &contact.State{Contact: contact.Contact{ID: "1", Name: "Amira"}}
	if err := s.Commit(ctx, st, []chat.Event{{Kind: chat.EventInbound}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load(ctx, "1")
	if err != nil || got.Contact.Name != "Amira" || got.Version != 1 {
		t.Fatalf("Load = %+v, %v", got, err)
	}
	stop()
	stop() // a second stop is harmless
	if err := c.Ping(ctx).Err(); err == nil {
		t.Fatal("PING after stop succeeded")
	}
}
