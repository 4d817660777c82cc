package inbox

import (
	"strings"
	"testing"
	"time"
)

const goodHash = "e27c871fe2892da6bbbc9289eb0d1fd8ed9b23bfc880745a8b706bea8f269778"

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"empty", "", "inbox.yaml:1:1: the inbox configuration is empty; it needs `queues` and `agents` (see docs/inbox.md)"},
		{"unknown key", "queues: {}\nagents: []\nqueue: {}\n", "inbox.yaml:3:1: the inbox configuration: unknown key `queue`; expected one of agents, queues"},
		{"missing agents", "queues: {sales: }\n", "inbox.yaml:1:1: missing key `agents`: the people who sign in"},
		{"bad duration", "queues:\n  sales:\n    sla: {first_response: soon}\nagents: []\n", "inbox.yaml:3:27: queue sales: sla.first_response must be a duration such as 15m or 2h, found \"soon\""},
		{"unknown queue of agent", "queues: {sales: }\nagents:\n  - {id: sara, queues: [sales, saels], token_sha256: " + goodHash + "}\n", "inbox.yaml:3:32: agent sara: no queue \"saels\" is declared under `queues`"},
		{"plain token", "queues: {sales: }\nagents:\n  - {id: sara, queues: [sales], token_sha256: sara-token}\n", "inbox.yaml:3:47: agent sara: token_sha256 must be 64 hexadecimal digits (the SHA-256 of the token, not the token itself)"},
		{"missing hash", "queues: {sales: }\nagents:\n  - {id: sara, queues: [sales]}\n", "inbox.yaml:3:5: agent sara: missing `token_sha256`, the SHA-256 of the agent's sign-in token (printf %s \"$TOKEN\" | sha256sum)"},
		{"shared token", "queues: {sales: }\nagents:\n  - {id: sara, token_sha256: " + goodHash + "}\n  - {id: omar, token_sha256: " + goodHash + "}\n", "inbox.yaml:4:30: agent omar has the same token as agent sara; give each agent a token of its own"},
		{"bad role", "queues: {sales: }\nagents:\n  - {id: sara, role: boss, token_sha256: " + goodHash + "}\n", "inbox.yaml:3:22: agent role must be agent or admin, found \"boss\""},
		{"bad category", "queues:\n  sales:\n    templates: [{name: a, language: ar, category: promo}]\nagents: []\n", "inbox.yaml:3:51: queue sales: template category must be one of marketing, utility, authentication, found \"promo\""},
		{"canned without text", "queues:\n  sales:\n    canned: [{shortcut: hi}]\nagents: []\n", "inbox.yaml:3:14: queue sales: a canned reply needs both `shortcut` and `text`"},
		{"not yaml", "queues: [\n", "inbox.yaml:1:1: not valid YAML: yaml: line 1: did not find expected node content"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig("inbox.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if got := strings.Split(err.Error(), "\n")[0]; got != tt.want {
				t.Errorf("error\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestParseConfigGood(t *testing.T) {
	cfg, err := LoadConfig("testdata/inbox.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sales, ok := cfg.Queue("sales")
	if !ok || sales.Title != "المبيعات" || sales.FirstResponse != 15*time.Minute || sales.NextResponse != time.Hour {
		t.Errorf("sales = %+v", sales)
	}
	if len(sales.Canned) != 2 || sales.Canned[0].Shortcut != "hello" || len(sales.Templates) != 2 || sales.Templates[1].Category != "marketing" {
		t.Errorf("sales canned/templates = %+v %+v", sales.Canned, sales.Templates)
	}
	boss, _ := cfg.Agent("boss")
	if boss.Role != RoleAdmin || !boss.InQueue("support") || !boss.InQueue("sales") {
		t.Errorf("boss = %+v", boss)
	}
	sara, _ := cfg.Agent("sara")
	if sara.InQueue("support") || !sara.InQueue("sales") || HashToken("sara-token") != goodHash {
		t.Errorf("sara = %+v", sara)
	}
}

func TestExampleFileLoads(t *testing.T) {
	cfg, err := LoadConfig("../inbox.example.yaml")
	if err != nil {
		t.Fatalf("inbox.example.yaml:\n%v", err)
	}
	if len(cfg.Queues) != 2 || len(cfg.Agents) != 2 {
		t.Errorf("example: %d queues, %d agents", len(cfg.Queues), len(cfg.Agents))
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("queues: {sales: }\nagents:\n  - {id: sara, queues: [sales], token_sha256: " + goodHash + "}\n"))
	f.Add([]byte("queues:\n  sales:\n    sla: {first_response: 15m}\n    canned: [{shortcut: hi, text: x}]\nagents: []\n"))
	f.Add([]byte("queues: [\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig("f.yaml", data)
		if (cfg == nil) == (err == nil) {
			t.Fatalf("config %v with error %v", cfg, err)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "f.yaml:") {
			t.Fatalf("error without position: %v", err)
		}
	})
}

func TestDeadlineOf(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	q := &Queue{FirstResponse: 15 * time.Minute, NextResponse: time.Hour}
	tests := []struct {
		name string
		c    Conversation
		q    *Queue
		want *Deadline
	}{
		{"first response", Conversation{State: StateWaiting, Opened: t0, LastInbound: t0}, q,
			&Deadline{At: t0.Add(15 * time.Minute), Kind: SLAFirstResponse}},
		{"window closes first", Conversation{State: StateWaiting, Opened: t0, LastInbound: t0.Add(-24*time.Hour + 5*time.Minute)}, q,
			&Deadline{At: t0.Add(5 * time.Minute), Kind: SLAWindow}},
		{"next response", Conversation{State: StateAssigned, Opened: t0, FirstReply: t0.Add(time.Minute), Awaiting: t0.Add(2 * time.Minute), LastInbound: t0.Add(2 * time.Minute)}, q,
			&Deadline{At: t0.Add(62 * time.Minute), Kind: SLANextResponse}},
		{"answered: nothing owed", Conversation{State: StateAssigned, Opened: t0, FirstReply: t0.Add(time.Minute), LastInbound: t0}, q, nil},
		{"closed", Conversation{State: StateClosed, Opened: t0, LastInbound: t0}, q, nil},
		{"no targets: the window", Conversation{State: StateWaiting, Opened: t0, LastInbound: t0}, &Queue{},
			&Deadline{At: t0.Add(24 * time.Hour), Kind: SLAWindow}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DeadlineOf(&tt.c, tt.q, nil)
			if (got == nil) != (tt.want == nil) || (got != nil && (!got.At.Equal(tt.want.At) || got.Kind != tt.want.Kind)) {
				t.Errorf("DeadlineOf = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestBilling(t *testing.T) {
	before := time.Date(2026, 9, 30, 12, 0, 0, 0, time.UTC)
	after := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		now      time.Time
		category string
		open     bool
		billable bool
		kind     string
	}{
		{"free-form before October 2026", before, "", true, false, "free_window"},
		{"free-form since October 2026", after, "", true, true, "service"},
		{"utility inside the window before October 2026", before, "utility", true, false, "utility_free"},
		{"utility inside the window since October 2026", after, "utility", true, true, "utility"},
		{"utility outside the window", before, "utility", false, true, "utility"},
		{"marketing", before, "marketing", true, true, "marketing"},
		{"authentication", after, "authentication", false, true, "authentication"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := billing(tt.now, tt.category, tt.open)
			if c.billable != tt.billable || c.kind != tt.kind {
				t.Errorf("billing = %+v, want billable %v kind %s", c, tt.billable, tt.kind)
			}
		})
	}
}
