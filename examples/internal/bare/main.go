// Command bare serves GET /me with a fixed JSON body on one framework,
// without authkit: the floor that `make load` (scripts/load.sh) measures
// each example server against. It serves with the example servers' limits
// (app.ServeHTTP, the fiber server's timeouts and buffer size), so what
// differs is authkit.
//
// With -header (repeated) it also sends those response header fields, set
// as cheaply as each framework allows (values prepared once): the load
// script passes the fields authkit's answer carries beyond the bare one, so
// that a second floor shows what the framework itself spends on sending
// them, apart from what authkit spends deciding them.
//
//	bare -fw gin -addr 127.0.0.1:8081 -body '{"sub":"alice",...}' [-header 'Name: value']...
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/textproto"
	"os"
	"strings"

	"golang.org/x/net/http/httpguts"

	"github.com/gin-gonic/gin"
	"github.com/gofiber/fiber/v2"
	"github.com/labstack/echo/v4"

	"github.com/authkit-go/authkit/examples/internal/app"
)

func main() {
	fw := flag.String("fw", "nethttp", "framework: nethttp, gin, echo or fiber")
	addr := flag.String("addr", "127.0.0.1:8081", "listen address")
	body := flag.String("body", `{"sub":"alice"}`, "the JSON GET /me answers")
	var fields []field
	flag.Func("header", "a response header field `Name: value` to send too (repeatable)", func(v string) error {
		f, err := parseField(v)
		if err != nil {
			return err
		}
		fields = append(fields, f)
		return nil
	})
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bare:", err)
		os.Exit(1)
	}
	if err := serve(*fw, ln, []byte(*body), fields); err != nil {
		fmt.Fprintln(os.Stderr, "bare:", err)
		os.Exit(1)
	}
}

func serve(fw string, ln net.Listener, body []byte, fields []field) error {
	var h http.Handler
	switch fw {
	case "nethttp":
		mux := http.NewServeMux()
		mux.HandleFunc("GET /me", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Cache-Control", "no-store")
			setFields(w.Header(), fields)
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
		})
		h = mux
	case "gin":
		gin.SetMode(gin.ReleaseMode)
		r := gin.New()
		r.GET("/me", func(c *gin.Context) {
			c.Header("Cache-Control", "no-store")
			setFields(c.Writer.Header(), fields)
			c.Data(http.StatusOK, "application/json", body)
		})
		h = r
	case "echo":
		e := echo.New()
		e.HideBanner, e.HidePort = true, true
		e.GET("/me", func(c echo.Context) error {
			c.Response().Header().Set("Cache-Control", "no-store")
			setFields(c.Response().Header(), fields)
			return c.Blob(http.StatusOK, "application/json", body)
		})
		h = e
	case "fiber":
		f := fiber.New(fiber.Config{
			DisableStartupMessage: true,
			ReadBufferSize:        app.MaxHeaderBytes + app.HeaderSlack,
			ReadTimeout:           app.ReadHeaderTimeout,
			WriteTimeout:          app.WriteTimeout,
			IdleTimeout:           app.IdleTimeout,
			StrictRouting:         true,
			CaseSensitive:         true,
		})
		f.Get("/me", func(c *fiber.Ctx) error {
			c.Set("Cache-Control", "no-store")
			for _, f := range fields {
				c.Response().Header.SetCanonical(f.nameBytes, f.valueBytes)
			}
			c.Set(fiber.HeaderContentType, "application/json")
			return c.Send(body)
		})
		return f.Listener(ln)
	default:
		return fmt.Errorf("unknown framework %q (nethttp, gin, echo, fiber)", fw)
	}
	return app.ServeHTTP(h, ln)
}

// field is a response header field given with -header, in the forms the
// frameworks take.
type field struct {
	name                  string
	value                 []string // len = cap 1: shared by every answer
	nameBytes, valueBytes []byte
}

func parseField(v string) (field, error) {
	name, value, ok := strings.Cut(v, ":")
	name, value = textproto.TrimString(name), textproto.TrimString(value)
	if !ok || !httpguts.ValidHeaderFieldName(name) || !httpguts.ValidHeaderFieldValue(value) {
		return field{}, fmt.Errorf("%q is not a header field `Name: value`", v)
	}
	name = textproto.CanonicalMIMEHeaderKey(name)
	return field{name, []string{value}[:1:1], []byte(name), []byte(value)}, nil
}

// setFields sets fields on a net/http header map without an allocation of
// its own.
func setFields(h http.Header, fields []field) {
	for _, f := range fields {
		h[f.name] = f.value
	}
}
