// Command bare serves GET /me with a fixed JSON body on one framework,
// without authkit: the floor that `make load` (scripts/load.sh) measures
// each example server against. It serves with the example servers' limits
// (app.ServeHTTP, the fiber server's timeouts and buffer size), so what
// differs is authkit.
//
//	bare -fw gin -addr 127.0.0.1:8081 -body '{"sub":"alice",...}'
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"

	"github.com/gin-gonic/gin"
	"github.com/gofiber/fiber/v2"
	"github.com/labstack/echo/v4"

	"github.com/authkit-go/authkit/examples/internal/app"
)

func main() {
	fw := flag.String("fw", "nethttp", "framework: nethttp, gin, echo or fiber")
	addr := flag.String("addr", "127.0.0.1:8081", "listen address")
	body := flag.String("body", `{"sub":"alice"}`, "the JSON GET /me answers")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bare:", err)
		os.Exit(1)
	}
	if err := serve(*fw, ln, []byte(*body)); err != nil {
		fmt.Fprintln(os.Stderr, "bare:", err)
		os.Exit(1)
	}
}

func serve(fw string, ln net.Listener, body []byte) error {
	var h http.Handler
	switch fw {
	case "nethttp":
		mux := http.NewServeMux()
		mux.HandleFunc("GET /me", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Cache-Control", "no-store")
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
		})
		h = mux
	case "gin":
		gin.SetMode(gin.ReleaseMode)
		r := gin.New()
		r.GET("/me", func(c *gin.Context) {
			c.Header("Cache-Control", "no-store")
			c.Data(http.StatusOK, "application/json", body)
		})
		h = r
	case "echo":
		e := echo.New()
		e.HideBanner, e.HidePort = true, true
		e.GET("/me", func(c echo.Context) error {
			c.Response().Header().Set("Cache-Control", "no-store")
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
			c.Set(fiber.HeaderContentType, "application/json")
			return c.Send(body)
		})
		return f.Listener(ln)
	default:
		return fmt.Errorf("unknown framework %q (nethttp, gin, echo, fiber)", fw)
	}
	return app.ServeHTTP(h, ln)
}
