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
	"net/http"

	"github.com/wasla/wasla/webpage"
)

//go:embed static templates
var files embed.FS

// Languages the page speaks; the first is the default.
var Languages = []string{"ar", "en"}

// Handler serves the page at /admin/numbers and its files at /admin/numbers/static/.
func Handler() http.Handler {
	return webpage.Page{
		Path: "/admin/numbers", Files: files, Template: "templates/numbers.html",
		Languages: Languages, Texts: Texts,
		CSP: "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'",
	}.Handler()
}
