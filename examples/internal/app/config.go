package app

import (
	"flag"
	"io"

	"github.com/authkit-go/authkit/core/guard"
)

// Config is what the example servers read from their flags.
type Config struct {
	// Addr is the listen address.
	Addr string
	// GuardOptions are extra guard options (tests use them).
	GuardOptions []guard.Option
}

// ParseFlags reads the servers' common flags from args.
func ParseFlags(name string, args []string, stderr io.Writer) (Config, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg Config
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "listen address")
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	return cfg, nil
}
