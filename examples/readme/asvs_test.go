package readme

import (
	"bufio"
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// asvsStatuses are the statuses a row of docs/ASVS.md may have.
var asvsStatuses = map[string]bool{"met": true, "not met": true, "the app's job": true}

var (
	mdLink   = regexp.MustCompile(`\[([^\]]+)\]\(([^)\s]+)\)`)
	testName = regexp.MustCompile(`^((?:Test|Fuzz|Benchmark|Example)[A-Za-z0-9_]*)((?:/[^/]+)*)$`)
	asvsID   = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`)
)

// TestASVSLinks keeps docs/ASVS.md honest: every row has a known status
// and a met row links at least one test; every relative link names a file
// of the repository (and a heading there, for a #fragment); a link whose
// text is a test's name names a top-level function of that _test.go file,
// and each subtest after it ("TestConformance/sessions/cookie attributes")
// is a string literal of the repository's Go code; and every not-met row is
// listed again under "Not met".
func TestASVSLinks(t *testing.T) {
	doc := filepath.Join(root, "docs", "ASVS.md")
	data, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	var notMet []string
	section := ""
	var notMetSection strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			section = strings.TrimPrefix(line, "## ")
		}
		if section == "Not met" {
			notMetSection.WriteString(line + "\n")
		}
		for _, m := range mdLink.FindAllStringSubmatch(line, -1) {
			checkASVSLink(t, n, m[1], m[2], data)
		}
		cells := strings.Split(line, "|")
		if len(cells) < 7 || !asvsID.MatchString(strings.TrimSpace(cells[1])) {
			continue
		}
		id, status, why := strings.TrimSpace(cells[1]), strings.TrimSpace(cells[4]), cells[5]
		if len(cells) != 7 {
			t.Errorf("ASVS.md:%d: row %s has %d cells, want 5", n, id, len(cells)-2)
		}
		if ids[id] {
			t.Errorf("ASVS.md:%d: %s has two rows", n, id)
		}
		ids[id] = true
		if !asvsStatuses[status] {
			t.Errorf("ASVS.md:%d: %s has status %q", n, id, status)
		}
		if status == "not met" {
			notMet = append(notMet, id)
		}
		if status == "met" && !linksATest(why) {
			t.Errorf("ASVS.md:%d: %s is met but links no test", n, id)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(ids) < 50 {
		t.Fatalf("only %d rows read from %s: the table format changed?", len(ids), doc)
	}
	for _, id := range notMet {
		if !strings.Contains(notMetSection.String(), "**"+id+"**") {
			t.Errorf("%s is not met but missing from the Not met section", id)
		}
	}
}

// linksATest reports whether a cell links a test function.
func linksATest(cell string) bool {
	for _, m := range mdLink.FindAllStringSubmatch(cell, -1) {
		if testName.MatchString(m[1]) {
			return true
		}
	}
	return false
}

// checkASVSLink checks one link of docs/ASVS.md (line n), whose own text
// is self for in-page fragments.
func checkASVSLink(t *testing.T, n int, text, target string, self []byte) {
	t.Helper()
	if strings.Contains(target, "://") {
		return
	}
	file, frag, _ := strings.Cut(target, "#")
	path := filepath.Join(root, "docs", filepath.FromSlash(file))
	var md []byte
	switch {
	case file == "":
		md = self
	case strings.HasSuffix(file, ".md"):
		b, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("ASVS.md:%d: link %q: %v", n, target, err)
			return
		}
		md = b
	default:
		if _, err := os.Stat(path); err != nil {
			t.Errorf("ASVS.md:%d: link %q: %v", n, target, err)
			return
		}
	}
	if frag != "" && !hasHeading(md, frag) {
		t.Errorf("ASVS.md:%d: link %q: no heading #%s", n, target, frag)
	}
	m := testName.FindStringSubmatch(text)
	if m == nil {
		return
	}
	if !strings.HasSuffix(file, "_test.go") {
		t.Errorf("ASVS.md:%d: test %s links %q, not a _test.go file", n, text, target)
		return
	}
	if !declares(t, path, m[1]) {
		t.Errorf("ASVS.md:%d: %s declares no func %s", n, file, m[1])
	}
	for _, sub := range strings.Split(strings.TrimPrefix(m[2], "/"), "/") {
		if sub != "" && !goLiteral(t, sub) {
			t.Errorf("ASVS.md:%d: subtest %q of %s is no string literal of the repository's Go code", n, sub, text)
		}
	}
}

// declares reports whether the Go file at path declares the top-level
// function name.
func declares(t *testing.T, path, name string) bool {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Errorf("parsing %s: %v", path, err)
		return false
	}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == name {
			return true
		}
	}
	return false
}

// goSources holds every Go file of the repository, read once.
var goSources [][]byte

// goLiteral reports whether "s" (quoted) occurs in some Go file.
func goLiteral(t *testing.T, s string) bool {
	t.Helper()
	if goSources == nil {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && path != root && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			if !d.IsDir() && strings.HasSuffix(path, ".go") {
				b, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				goSources = append(goSources, b)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	q := []byte(`"` + s + `"`)
	for _, b := range goSources {
		if bytes.Contains(b, q) {
			return true
		}
	}
	return false
}

// hasHeading reports whether Markdown md has a heading whose GitHub anchor
// is frag.
func hasHeading(md []byte, frag string) bool {
	sc := bufio.NewScanner(bytes.NewReader(md))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "#") {
			continue
		}
		title := strings.TrimSpace(strings.TrimLeft(line, "#"))
		if anchor(title) == frag {
			return true
		}
	}
	return false
}

// anchor is GitHub's anchor for a heading: lower case, spaces to hyphens,
// punctuation other than hyphens and underscores dropped.
func anchor(title string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(title) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}
