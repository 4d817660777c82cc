package server

import (
	"context"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/engine"
	"github.com/wasla/wasla/flows"
	"github.com/wasla/wasla/store"
)

func TestStoreHistoryAppendsOnceAndKeepsState(t *testing.T) {
	m := miniredis.RunT(t)
	client := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = client.Close() })
	st, err := store.New(client, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const who chat.ContactID = "966500000009"
	state, _ := st.Load(ctx, who)
	state.Session.Vars = map[string]any{"city": "Riyadh"}
	if err := st.Commit(ctx, state, nil); err != nil {
		t.Fatal(err)
	}

	eng := engine.New(&flows.Set{}, st, nil, engine.Options{})
	h := &storeHistory{engine: eng, seen: redisMarks{client: client, prefix: "test", ttl: time.Hour}}
	at := time.Unix(1750264001, 0)
	failed := chat.Event{Kind: chat.EventStatus, Contact: who, Number: "1001", At: at, Detail: "wamid.X failed: error 131047"}
	other := failed
	other.Detail = "wamid.Y failed: error 131049"
	for _, ev := range []chat.Event{failed, failed, other} {
		if err := h.Append(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	if err := st.History(ctx, who, time.Time{}, time.Time{}, func(ev chat.Event) error {
		got = append(got, ev.Detail)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != failed.Detail || got[1] != other.Detail {
		t.Errorf("history = %q, want each failure once", got)
	}
	after, _ := st.Load(ctx, who)
	if after.Session.Vars["city"] != "Riyadh" {
		t.Errorf("session vars after appends = %v", after.Session.Vars)
	}
	if err := h.Append(ctx, chat.Event{Kind: chat.EventStatus}); err == nil {
		t.Error("an event without contact was appended")
	}
}
