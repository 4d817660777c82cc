// Package web is the agents' web inbox: one page rendered with html/template and a plain
// script and stylesheet, all embedded in the binary. Nothing is built at run time and
// nothing loads from a CDN. The page talks to the inbox's JSON API (package inbox) with the
// agent's bearer token and follows its live events.
//
// The interface speaks Arabic (right to left, the default) and English; every message
// bubble carries dir="auto", so a message mixing Arabic and English lays out by its own
// first strong character whatever the interface language.
package web

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

var page = template.Must(template.ParseFS(files, "templates/index.html"))

// Languages the interface speaks; the first is the default.
var Languages = []string{"ar", "en"}

// Handler serves the web inbox at /inbox and its files at /inbox/static/.
func Handler() http.Handler {
	static, err := fs.Sub(files, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	mux := http.NewServeMux()
	mux.Handle("GET /inbox/static/", http.StripPrefix("/inbox/static/", cacheable(http.FileServerFS(static))))
	mux.HandleFunc("GET /inbox", servePage)
	mux.HandleFunc("GET /inbox/{$}", servePage)
	return mux
}

func cacheable(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		h.ServeHTTP(w, r)
	})
}

// language picks the interface language: ?lang=, then the browser's preference, then
// Arabic.
func language(r *http.Request) string {
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
	TJSON     string // the texts again, for the script (in a data attribute: no inline script)
}

func servePage(w http.ResponseWriter, r *http.Request) {
	lang := language(r)
	t := texts[lang]
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
	w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; connect-src 'self'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	_ = page.Execute(w, pageData{Lang: lang, Dir: dir, T: t, TJSON: string(b)})
}
