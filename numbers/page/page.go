// Package page is the admin numbers page: every business number at a glance — role,
// account, portfolio, the health policy's state, Meta's quality, throughput, score and
// the campaigns' figures — for an operator deciding which campaign numbers are healthy.
// One page, a script and a stylesheet, embedded in the binary; nothing is built at run
// time and nothing loads from a CDN. The page holds no data: it asks for the admin token
// and reads GET /api/numbers with it.
//
// The interface speaks Arabic (right to left, the default) and English; a number and
// other left-to-right values sit in their own isolates, so they read correctly inside
// Arabic text.
package page

import (
	"embed"
	"encoding/json"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed static templates
var files embed.FS

var tmpl = template.Must(template.ParseFS(files, "templates/numbers.html"))

// Languages the page speaks; the first is the default.
var Languages = []string{"ar", "en"}

// Handler serves the page at /admin/numbers and its files at /admin/numbers/static/.
func Handler() http.Handler {
	static, err := fs.Sub(files, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	mux := http.NewServeMux()
	assets := http.StripPrefix("/admin/numbers/static/", http.FileServerFS(static))
	mux.Handle("GET /admin/numbers/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		assets.ServeHTTP(w, r)
	}))
	mux.HandleFunc("GET /admin/numbers", serve)
	mux.HandleFunc("GET /admin/numbers/{$}", serve)
	return mux
}

// Language picks the page's language: ?lang=, then the browser's preference, then Arabic.
func Language(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l != "" {
		for _, known := range Languages {
			if l == known {
				return l
			}
		}
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		for _, known := range Languages {
			if tag == known || strings.HasPrefix(tag, known+"-") {
				return known
			}
		}
	}
	return Languages[0]
}

type pageData struct {
	Lang, Dir string
	T         map[string]string
	TJSON     string
}

func serve(w http.ResponseWriter, r *http.Request) {
	lang := Language(r)
	t := Texts[lang]
	b, err := json.Marshal(t)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	dir := "ltr"
	if lang == "ar" {
		dir = "rtl"
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	_ = tmpl.Execute(w, pageData{Lang: lang, Dir: dir, T: t, TJSON: string(b)})
}
