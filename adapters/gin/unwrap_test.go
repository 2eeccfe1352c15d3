package authgin_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	authgin "github.com/authkit-go/authkit/adapters/gin"
	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/guard"
	"github.com/authkit-go/authkit/core/session"
)

// With sessions on, the middleware wraps gin's writer; http.ResponseController
// must still reach the connection through it.
func TestResponseControllerThroughSessionWriter(t *testing.T) {
	mgr, err := session.New(session.WithAudit(audit.Discard))
	if err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	r.Use(authgin.Middleware(guard.WithSessions(mgr), guard.WithAudit(audit.Discard)))
	var deadlineErr error
	r.GET("/", func(c *gin.Context) {
		deadlineErr = http.NewResponseController(c.Writer).SetWriteDeadline(time.Now().Add(time.Second))
		c.Status(http.StatusNoContent)
	})
	srv := httptest.NewServer(r)
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if deadlineErr != nil {
		t.Errorf("SetWriteDeadline through authgin's writer: %v", deadlineErr)
	}
}
