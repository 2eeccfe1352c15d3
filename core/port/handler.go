package port

import "net/http"

// Handler answers a request through the port alone, so that one handler
// (the OAuth sign-in's login and callback, say) serves on every framework:
// each adapter's Serve(h) turns it into a handler of its own, and the core
// writes no framework code. ServeExchange sets the answer's header fields
// and cookies on the Exchange and returns its status and body; or it
// returns an error, which guard.Serve answers as guard.ProblemFor maps it
// (problem+json, no-store), keeping whatever cookies the handler set.
//
// The Exchange's Context is the request's as the guard left it, so a
// handler can read the principal and sign a user in (guard.SignIn); the
// session cookie is written when the adapter writes the answer.
type Handler interface {
	ServeExchange(x Exchange) (Reply, error)
}

// HandlerFunc adapts a function to a Handler.
type HandlerFunc func(x Exchange) (Reply, error)

// ServeExchange calls f.
func (f HandlerFunc) ServeExchange(x Exchange) (Reply, error) { return f(x) }

// Reply is a Handler's answer: the adapter writes Status and Body; the
// header fields and cookies are already set on the Exchange.
type Reply struct {
	// Status is the HTTP status code; zero means 200.
	Status int
	// Body is the response body; nil sends none.
	Body []byte
}

// Redirect sets Location to location and returns a 302 Found without a
// body. location is sent as given: pass only a URL the handler built or
// checked (an absolute provider URL, a path that passed a same-origin
// check), never one taken from the request unchecked.
func Redirect(x Exchange, location string) Reply {
	x.SetHeader("Location", location)
	return Reply{Status: http.StatusFound}
}
