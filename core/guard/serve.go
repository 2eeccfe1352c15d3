package guard

import (
	"log/slog"
	"net/http"

	"github.com/authkit-go/authkit/core/port"
)

// Serve runs the Handler h for the request x and returns what the adapter
// writes: h's Reply (status 0 becomes 200), or, when h fails, the answer
// ProblemFor gives for its error — header fields, Content-Type
// problem+json and Cache-Control no-store set on x as Deny sets them, and
// the cookies h set kept. An error of no known kind is a 500 and is
// logged; a nil h is a 500 too. Every adapter's Serve(h) calls it, so a
// Handler answers alike on all four frameworks.
func Serve(x Exchange, h Handler) Reply {
	if h == nil {
		slog.ErrorContext(x.Context(), "authkit: Serve(nil handler)", "path", x.Path())
		return replyOf(port.Deny(x, internalProblem()))
	}
	r, err := h.ServeExchange(x)
	if err != nil {
		p := ProblemFor(err)
		if p.Status == http.StatusInternalServerError {
			slog.ErrorContext(x.Context(), "authkit: handler failed", "path", x.Path(), "error", err)
		}
		return replyOf(port.Deny(x, p))
	}
	if r.Status == 0 {
		r.Status = http.StatusOK
	}
	return r
}

func replyOf(d *Denial) Reply { return Reply{Status: d.Status, Body: d.Body} }
