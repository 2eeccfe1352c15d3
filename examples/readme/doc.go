// Package readme holds the test that keeps the repository's README files
// honest: every ```go block in them is a complete program that compiles
// against the current code. It lives in the examples module because that
// module requires the core and all four adapters, so a snippet may import
// any of them.
package readme
