package app

import (
	"log/slog"
	"net/http"
)

// Mux is the net/http server's router: exact paths, each with its
// methods. Unlike http.ServeMux, its 404 and 405 answers are the same
// problem+json bodies the other frameworks send (NotFound,
// MethodNotAllowed), and a panicking handler answers Internal.
type Mux struct {
	app    *App
	routes map[string]map[string]http.Handler
}

// NewMux returns an empty Mux whose fallbacks consult a's routes.
func NewMux(a *App) *Mux {
	return &Mux{app: a, routes: make(map[string]map[string]http.Handler)}
}

// Handle routes method and path to h.
func (m *Mux) Handle(method, path string, h http.Handler) {
	if m.routes[path] == nil {
		m.routes[path] = make(map[string]http.Handler)
	}
	m.routes[path][method] = h
}

// ServeHTTP implements http.Handler.
func (m *Mux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := m.routes[r.URL.Path][r.Method]
	if h == nil {
		WriteHTTP(w, m.app.Fallback(r.URL.Path))
		return
	}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			slog.ErrorContext(r.Context(), "handler panicked", "path", r.URL.Path, "panic", v)
			WriteHTTP(w, Internal())
		}
	}()
	h.ServeHTTP(w, r)
}
