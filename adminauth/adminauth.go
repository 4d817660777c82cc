// Package adminauth guards the admin HTTP APIs (campaigns, the outbox) with the
// deployment's admin bearer token (config admin.token), in one place, so that every admin
// route answers a missing or wrong token the same way.
package adminauth

import (
	"crypto/subtle"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
)

// Realm is the WWW-Authenticate realm of the admin APIs.
const Realm = "wasla admin"

// Require serves next only to requests carrying "Authorization: Bearer <token>". Others
// get 401 with a JSON error; the token is compared in constant time and never logged or
// echoed. An empty token refuses every request: an admin API without a token is closed,
// not open. A refusal is logged on log (nil: not logged) with the path and the remote
// address, never the token, so an operator sees who knocked.
func Require(token string, log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || token == "" || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			if log != nil {
				log.Warn("admin request refused: missing or wrong token", slog.String("path", r.URL.Path), slog.String("remote", r.RemoteAddr))
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="`+Realm+`"`)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "missing or wrong admin token"})
			return
		}
		next.ServeHTTP(w, r)
	})
}
