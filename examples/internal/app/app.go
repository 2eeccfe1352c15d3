// Package app holds the reference API's flow logic once, for the four
// example servers. Each server's main only wires Routes into its framework
// with a small function that turns a framework request into a Request and
// writes the Response; no flow logic lives there.
package app

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/authkit-go/authkit/core/guard"
)

// MaxBodyBytes caps request bodies read by the flows.
const MaxBodyBytes = 64 << 10

// Request is the framework-neutral view of a request that a flow reads.
type Request struct {
	// Ctx is the request context as the guard left it (principal, session).
	Ctx context.Context
	// Body is the request body, at most MaxBodyBytes.
	Body []byte
	// Header returns a request header.
	Header func(name string) string
}

// Response is what a flow answers. Body is encoded as JSON; a *guard.Problem
// body is sent as application/problem+json.
type Response struct {
	Status int
	Body   any
	Header map[string]string
}

// Handler is one flow.
type Handler func(Request) Response

// Route is one endpoint of the reference API.
type Route struct {
	Method string
	Path   string
	Rules  []guard.Rule
	Handle Handler
}

// App is the reference API: its guard and its routes.
type App struct {
	guard *guard.Guard
}

// New builds the App from cfg.
func New(cfg Config) (*App, error) {
	g, err := guard.New(cfg.GuardOptions...)
	if err != nil {
		return nil, err
	}
	return &App{guard: g}, nil
}

// Guard returns the guard every route runs behind.
func (a *App) Guard() *guard.Guard { return a.guard }

// Routes returns the endpoints in registration order.
func (a *App) Routes() []Route {
	return []Route{
		{Method: http.MethodGet, Path: "/healthz", Handle: a.healthz},
	}
}

func (a *App) healthz(Request) Response {
	return Response{Status: http.StatusOK, Body: map[string]string{"status": "ok"}}
}

// Encode turns r into the status, Content-Type and body to write.
func Encode(r Response) (status int, contentType string, body []byte) {
	contentType = "application/json"
	if _, ok := r.Body.(*guard.Problem); ok {
		contentType = guard.ProblemContentType
	}
	if r.Body == nil {
		return r.Status, "", nil
	}
	body, err := json.Marshal(r.Body)
	if err != nil {
		p := guard.NewProblem(http.StatusInternalServerError, guard.TypeInternal, "")
		body, _ = json.Marshal(p)
		return http.StatusInternalServerError, guard.ProblemContentType, body
	}
	return r.Status, contentType, body
}
