// Package readme holds the tests that keep the repository's documents
// honest: every ```go block of its README files is a complete program that
// compiles against the current code, and every test docs/ASVS.md cites as
// proof exists. It lives in the examples module because that module
// requires the core and all four adapters, so a snippet may import any of
// them.
package readme
