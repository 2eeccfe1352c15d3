package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBrowserNotice: scripts/browser-notice.sh, which `make test` runs
// because go test hides a passing package's output, finds a browser where
// chromiumPath finds one (CHROMIUM, or any of browserNames on PATH) and
// otherwise prints the notice: a skip without REQUIRE_BROWSER, a failure
// with it.
func TestBrowserNotice(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	script, err := filepath.Abs(filepath.Join("..", "..", "scripts", "browser-notice.sh"))
	if err != nil {
		t.Fatal(err)
	}
	notice := func(env ...string) string {
		t.Helper()
		cmd := exec.Command(bash, script)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", env, err, out)
		}
		return string(out)
	}
	empty := t.TempDir()
	if out := notice("PATH=" + empty); !strings.Contains(out, "SKIPPED") {
		t.Fatalf("no browser: %q, want the notice of a skip", out)
	}
	if out := notice("PATH="+empty, "REQUIRE_BROWSER=1"); !strings.Contains(out, "FAILS") {
		t.Fatalf("no browser under REQUIRE_BROWSER=1: %q, want the notice of a failure", out)
	}
	if out := notice("PATH="+empty, "CHROMIUM=/opt/chromium/chrome"); out != "" {
		t.Fatalf("CHROMIUM set: %q, want no notice", out)
	}
	for _, name := range browserNames {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		if out := notice("PATH=" + dir); out != "" {
			t.Errorf("%s on PATH: %q, want no notice (the browser test finds it)", name, out)
		}
	}
}
