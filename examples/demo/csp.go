package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/authkit-go/authkit/core/audit"
)

// maxCSPReportBytes caps a CSP report; browsers send about 1 kB.
const maxCSPReportBytes = 16 << 10

// cspReport is what the demo keeps of a violation report (report-uri's
// application/csp-report body).
type cspReport struct {
	DocumentURI        string `json:"document-uri"`
	ViolatedDirective  string `json:"violated-directive"`
	EffectiveDirective string `json:"effective-directive"`
	BlockedURI         string `json:"blocked-uri"`
	SourceFile         string `json:"source-file"`
	LineNumber         int    `json:"line-number"`
}

// parseCSPReport reads a report-uri body: {"csp-report": {...}}. Every
// field is clipped, since the whole body is the browser's (or anyone's).
func parseCSPReport(body []byte) (cspReport, bool) {
	var in struct {
		Report *cspReport `json:"csp-report"`
	}
	if err := json.Unmarshal(body, &in); err != nil || in.Report == nil {
		return cspReport{}, false
	}
	r := *in.Report
	for _, f := range []*string{&r.DocumentURI, &r.ViolatedDirective, &r.EffectiveDirective, &r.BlockedURI, &r.SourceFile} {
		*f = audit.Clip(*f, 256)
	}
	return r, true
}

// cspReport takes a browser's CSP violation report and logs it: a
// violation on the demo's own pages is a bug (a script or style without
// the nonce), which the browser test fails on.
func (d *demo) cspReport(w http.ResponseWriter, r *http.Request) {
	ct := r.Header.Get("Content-Type")
	if !strings.HasPrefix(ct, "application/csp-report") && !strings.HasPrefix(ct, "application/json") {
		d.fail(w, r, http.StatusUnsupportedMediaType, "CSP reports only.")
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxCSPReportBytes+1))
	rep, ok := parseCSPReport(body)
	if len(body) > maxCSPReportBytes || !ok {
		d.fail(w, r, http.StatusBadRequest, "That is no CSP report.")
		return
	}
	slog.WarnContext(r.Context(), "CSP violation", "document", rep.DocumentURI, "directive", rep.EffectiveDirective, "blocked", rep.BlockedURI, "source", rep.SourceFile, "line", rep.LineNumber)
	if d.onCSPReport != nil {
		d.onCSPReport(rep)
	}
	w.WriteHeader(http.StatusNoContent)
}
