package strictjson

import (
	"encoding/json"
	"testing"
)

const benchClaims = `{"sub":"user-42","iss":"https://auth.example","aud":"api","iat":1764331200.123,"exp":1764332100,"jti":"Zm9vYmFyYmF6cXV4MTIzNA","roles":["admin"],"scope":"read write"}`

const benchBody = `{"username":"alice@example.com","password":"Correct-Horse-42","codes":["a","b"]}`

func BenchmarkScan(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		var ms Members
		if err := Scan(benchClaims, &ms); err != nil || ms.Len() != 8 {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnmarshal compares Unmarshal with encoding/json's decoding of
// the same request body.
func BenchmarkUnmarshal(b *testing.B) {
	doc := []byte(benchBody)
	b.Run("strictjson", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v body
			if err := Unmarshal(doc, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v body
			if err := json.Unmarshal(doc, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
