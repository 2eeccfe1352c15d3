// Package strictjson reads JSON objects that cross a trust boundary — token
// headers and claims, keys, request bodies — so that every party reading the
// same bytes sees the same members.
//
// encoding/json is lenient where that matters: of two members with one name
// it keeps the last, and it fills a struct field from a member whose name
// differs only in case ("USERNAME" fills Username, and so does "\u0055sername").
// A proxy, a web application firewall or a log that reads the first member,
// or matches names exactly, then sees another request than the server acts
// on. strictjson refuses such documents instead:
//
//   - the input is exactly one JSON object (RFC 8259 as encoding/json reads
//     it: UTF-8, no comments, no trailing commas, nothing after the object),
//     nested at most MaxDepth deep;
//   - no object, at any depth, holds two members whose names are equal
//     after unescaping and case folding (EqualFold): {"a":1,"A":2} and
//     {"exp":1,"\u0065xp":2} are ErrDuplicate;
//   - Unmarshal matches member names exactly against the target struct's
//     field names and refuses any other member (ErrUnknown).
//
// Decoding a request body:
//
//	var in struct {
//		Username string `json:"username"`
//		Password string `json:"password"`
//	}
//	if err := strictjson.Unmarshal(body, &in); err != nil {
//		var e *strictjson.Error
//		switch {
//		case errors.Is(err, strictjson.ErrDuplicate), errors.Is(err, strictjson.ErrUnknown):
//			errors.As(err, &e) // e.Member names the member
//		}
//		return badRequest(...)
//	}
//
// Scan is the allocation-free primitive underneath, for callers that read a
// few members themselves (core/token reads JWT headers and claims with it):
// it checks the document and returns its top-level members as substrings of
// the input.
package strictjson
