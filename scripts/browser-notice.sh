#!/usr/bin/env bash
# Prints a loud notice when no Chromium is found for the demo's browser
# test (examples/demo, TestBrowser), which then skips. `go test` shows a
# passing package's output only under -v, so the test's own notice is
# lost in `make test`; the Makefile runs this before and after the tests.
# It looks where the test looks (chromiumPath in
# examples/demo/browser_test.go; TestBrowserNotice keeps the two alike):
# $CHROMIUM, then these names on PATH. It always exits 0.
[[ -n "${CHROMIUM:-}" ]] && exit 0
for name in chromium chromium-browser google-chrome google-chrome-stable; do
  command -v "$name" >/dev/null 2>&1 && exit 0
done
if [[ "${REQUIRE_BROWSER:-}" == 1 ]]; then
  echo "*** No Chromium found: the demo's browser test FAILS under REQUIRE_BROWSER=1. Install it: apt-get install chromium (or set CHROMIUM=path). ***"
else
  echo "*** NOTICE: no Chromium found: the demo's browser test (examples/demo TestBrowser) is SKIPPED. Install it: apt-get install chromium (or set CHROMIUM=path); REQUIRE_BROWSER=1 makes this a failure. ***"
fi
exit 0
