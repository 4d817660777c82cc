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
	"net/http"

	"github.com/wasla/wasla/webpage"
)

//go:embed static templates
var files embed.FS

// Languages the interface speaks; the first is the default.
var Languages = []string{"ar", "en"}

// Handler serves the web inbox at /inbox and its files at /inbox/static/.
func Handler() http.Handler {
	return webpage.Page{
		Path: "/inbox", Files: files, Template: "templates/index.html",
		Languages: Languages, Texts: texts,
		CSP: "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; connect-src 'self'",
	}.Handler()
}
