// Package webpage serves a bilingual page embedded in the binary: one html/template, its
// script and stylesheet under static/, the interface's words by language. The agents'
// inbox and the admin numbers page are served this way, so the language choice and the
// security headers are written once.
package webpage

import (
	"encoding/json"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
)

// Page describes one embedded page.
type Page struct {
	// Path is where the page is served (e.g. "/inbox"); its files are under Path+"/static/".
	Path string
	// Files holds static/ and the template.
	Files fs.FS
	// Template is the template's name in Files.
	Template string
	// Languages the page speaks; the first is the default.
	Languages []string
	// Texts are the page's words by language, given to the template as .T and, as JSON,
	// as .TJSON for the script (in a data attribute: no inline script).
	Texts map[string]map[string]string
	// CSP is the page's Content-Security-Policy.
	CSP string
}

// Handler serves the page at Path and Path+"/", and its files at Path+"/static/". It panics
// when the embedded tree is malformed: the tree is fixed at build time.
func (p Page) Handler() http.Handler {
	tmpl := template.Must(template.ParseFS(p.Files, p.Template))
	static, err := fs.Sub(p.Files, "static")
	if err != nil {
		panic(err)
	}
	assets := http.StripPrefix(p.Path+"/static/", http.FileServerFS(static))
	serve := func(w http.ResponseWriter, r *http.Request) {
		lang := Language(r, p.Languages)
		t := p.Texts[lang]
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
		w.Header().Set("Content-Security-Policy", p.CSP)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		_ = tmpl.Execute(w, pageData{Lang: lang, Dir: dir, T: t, TJSON: string(b)})
	}
	mux := http.NewServeMux()
	mux.Handle("GET "+p.Path+"/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		assets.ServeHTTP(w, r)
	}))
	mux.HandleFunc("GET "+p.Path, serve)
	mux.HandleFunc("GET "+p.Path+"/{$}", serve)
	return mux
}

type pageData struct {
	Lang, Dir string
	T         map[string]string
	TJSON     string
}

// Language picks the page's language among languages: ?lang=, then the browser's
// preference, then the first.
func Language(r *http.Request, languages []string) string {
	if l := r.URL.Query().Get("lang"); l != "" {
		for _, known := range languages {
			if l == known {
				return l
			}
		}
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		for _, known := range languages {
			if tag == known || strings.HasPrefix(tag, known+"-") {
				return known
			}
		}
	}
	return languages[0]
}
