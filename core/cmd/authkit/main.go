// Command authkit is authkit's command-line tool: it makes keys, signs and
// verifies tokens, hashes and checks passwords, and makes and checks TOTP
// codes and recovery codes.
//
// Exit codes are the same for every subcommand: 0 success, 1 a negative
// answer (an invalid token, a mismatched password, a rejected policy check),
// 2 bad usage or unreadable input.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"strings"
)

// Exit codes shared by every subcommand.
const (
	exitOK       = 0
	exitNegative = 1
	exitUsage    = 2
)

// env is what a subcommand may touch: its arguments and the standard streams.
// Tests build one over buffers; main builds one over the process's streams.
type env struct {
	args   []string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// command is one top-level subcommand.
type command struct {
	name    string
	summary string
	run     func(e env) int
}

// commands lists every subcommand in the order help prints them.
// A feature adds its line here and its code in a file of its own.
func commands() []command {
	return []command{
		{"version", "print the authkit version", runVersion},
		{"jwt", "make keys, sign, verify and inspect JWTs", runJWT},
		{"password", "hash, verify and policy-check passwords", runPassword},
		{"pkce", "make a PKCE code verifier and its S256 challenge", runPKCE},
		{"totp", "make TOTP secrets, compute and check codes", runTOTP},
		{"recovery", "generate MFA recovery codes", runRecovery},
		{"help", "show this help", runHelp},
	}
}

func main() {
	os.Exit(run(env{args: os.Args[1:], stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}))
}

// run dispatches to a subcommand and returns the process exit code.
func run(e env) int {
	if len(e.args) == 0 {
		usage(e.stderr)
		return exitUsage
	}
	name := e.args[0]
	switch name {
	case "-h", "-help", "--help":
		name = "help"
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(env{args: e.args[1:], stdin: e.stdin, stdout: e.stdout, stderr: e.stderr})
		}
	}
	fmt.Fprintf(e.stderr, "authkit: unknown command %q\n\n", name)
	usage(e.stderr)
	return exitUsage
}

// dispatch runs the subcommand of group named by e.args[0]. A missing or
// unknown name prints usage to stderr (exit 2); help prints it to stdout.
func dispatch(e env, group, usage string, subs map[string]func(env) int) int {
	if len(e.args) == 0 {
		fmt.Fprint(e.stderr, usage)
		return exitUsage
	}
	name := e.args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(e.stdout, usage)
		return exitOK
	}
	run, ok := subs[name]
	if !ok {
		fmt.Fprintf(e.stderr, "authkit %s: unknown subcommand %q\n\n%s", group, name, usage)
		return exitUsage
	}
	return run(env{args: e.args[1:], stdin: e.stdin, stdout: e.stdout, stderr: e.stderr})
}

// parseSubFlags parses the flags of "authkit <name>"; ok is false when the
// caller should return code: 0 after -h (usage on stdout), 2 after a bad
// flag or a stray argument (the error and usage on stderr). Every
// subcommand parses its flags with it, so -h and bad flags behave alike.
func parseSubFlags(e env, name, usage string, fs *flag.FlagSet) (code int, ok bool) {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(e.args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(e.stdout, usage)
			return exitOK, false
		}
		fmt.Fprintf(e.stderr, "authkit %s: %v\n\n%s", name, err, usage)
		return exitUsage, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "authkit %s: unexpected argument %q\n\n%s", name, fs.Arg(0), usage)
		return exitUsage, false
	}
	return 0, true
}

// given reports whether the flag name was on the command line.
func given(fs *flag.FlagSet, name string) bool {
	found := false
	fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}

// usageError prints "authkit <name>: " and msg as fmt.Println would, and
// returns exitUsage.
func usageError(e env, name string, msg ...any) int {
	fmt.Fprintf(e.stderr, "authkit %s: %s", name, fmt.Sprintln(msg...))
	return exitUsage
}

// flagUsage is the usage of "authkit <path>": the synopsis, what the
// subcommand does, and its flags as the flag package lists them.
func flagUsage(fs *flag.FlagSet, path, synopsis, about string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "usage: %s\n\n%s\n", strings.TrimSpace("authkit "+path+" "+synopsis), about)
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		b.WriteString("\nflags:\n")
		fs.SetOutput(&b)
		fs.PrintDefaults()
	}
	return b.String()
}

// parseFlagsOf parses the flags of "authkit <path>" with parseSubFlags and
// the usage flagUsage makes.
func parseFlagsOf(e env, fs *flag.FlagSet, path, synopsis, about string) (code int, ok bool) {
	return parseSubFlags(e, path, flagUsage(fs, path, synopsis, about), fs)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: authkit <command> [arguments]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'authkit <command> -h' for a command's flags.")
	fmt.Fprintln(w, "Exit status: 0 success, 1 negative answer, 2 bad usage or unreadable input.")
}

// runHelp prints the usage of the command (and subcommand) it names, as
// "authkit <command> [<subcommand>] -h" does.
func runHelp(e env) int {
	if len(e.args) > 0 {
		return run(env{args: append(slices.Clone(e.args), "-h"), stdin: e.stdin, stdout: e.stdout, stderr: e.stderr})
	}
	usage(e.stdout)
	return exitOK
}

// version is set at build time with -ldflags "-X main.version=v1.2.3"; when
// empty, the module version recorded by the go command is used.
var version string

func runVersion(e env) int {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	if code, ok := parseFlagsOf(e, fs, "version", "", "Print the authkit version."); !ok {
		return code
	}
	fmt.Fprintln(e.stdout, "authkit", buildVersion())
	return exitOK
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		return info.Main.Version
	}
	return "(devel)"
}
