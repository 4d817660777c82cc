package server

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasla/wasla/config"
	"github.com/wasla/wasla/internal/syncbuf"
)

func buildConfig(t *testing.T, numbers string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "flows"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "flows", "hello.yaml"), []byte(goodFlow), 0o644); err != nil {
		t.Fatal(err)
	}
	src := "flows: flows\nwhatsapp: {app_secret: a, verify_token: b}\nnumbers:\n" + numbers
	path := filepath.Join(dir, "wasla.yaml")
	cfg, err := config.Parse(path, []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestBuildPlacesRegistryProblemsOnTheirLines(t *testing.T) {
	cfg := buildConfig(t, `  - {id: "1", display: "+966 50 000 0001", role: inbox, waba: "10", token: t}
  - {id: "2", display: "+966500000001", role: campaign, waba: "20", token: t}
`)
	_, _, err := Build(context.Background(), cfg, BuildOptions{})
	var ds config.Diagnostics
	if !errors.As(err, &ds) {
		t.Fatalf("Build error = %v, want config.Diagnostics", err)
	}
	want := cfg.File + ":5: numbers[1].display: display number +966500000001 is already numbers[0]"
	if got := ds.Error(); got != want {
		t.Errorf("diagnostics:\n%s\nwant:\n%s", got, want)
	}
}

func TestBuildWarnsAboutEmbeddedStoreAndSharedAccount(t *testing.T) {
	cfg := buildConfig(t, `  - {id: "1", display: "+966 50 000 0001", role: inbox, waba: "10", token: t}
  - {id: "2", display: "+966 50 000 0002", role: campaign, waba: "10", token: t}
`)
	logs := &syncbuf.Buffer{}
	srv, closeFn, err := Build(context.Background(), cfg, BuildOptions{Logger: testLogger(logs)})
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	if srv == nil {
		t.Fatal("no server")
	}
	out := logs.String()
	for _, want := range []string{"level=WARN msg=\"NO REDIS CONFIGURED", "shares WhatsApp Business Account 10 with the inbox number"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}
