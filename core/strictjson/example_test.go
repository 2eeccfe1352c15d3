package strictjson_test

import (
	"errors"
	"fmt"

	"github.com/authkit-go/authkit/core/strictjson"
)

func ExampleUnmarshal() {
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	err := strictjson.Unmarshal([]byte(`{"username":"alice","password":"Correct-Horse-42"}`), &in)
	fmt.Println(in.Username, err)
	// Output: alice <nil>
}

// ExampleUnmarshal_errorChecking shows the documents encoding/json accepts
// and strictjson refuses, and how to tell the reasons apart.
func ExampleUnmarshal_errorChecking() {
	var in struct {
		Username string `json:"username"`
	}
	for _, doc := range []string{
		`{"username":"first","username":"last"}`,
		`{"username":"nosuchuser","USERNAME":"alice"}`,
		`{"USERNAME":"alice"}`,
		`{"username":42}`,
		`{"username":"alice"} {}`,
	} {
		err := strictjson.Unmarshal([]byte(doc), &in)
		var e *strictjson.Error
		switch {
		case errors.Is(err, strictjson.ErrDuplicate):
			errors.As(err, &e)
			fmt.Printf("duplicate %q\n", e.Member)
		case errors.Is(err, strictjson.ErrUnknown):
			errors.As(err, &e)
			fmt.Printf("unknown %q\n", e.Member)
		case errors.Is(err, strictjson.ErrType):
			fmt.Println(err)
		case errors.Is(err, strictjson.ErrSyntax):
			fmt.Println(err)
		}
	}
	// Output:
	// duplicate "username"
	// duplicate "USERNAME"
	// unknown "USERNAME"
	// strictjson: member of the wrong type "username": number, want string
	// strictjson: invalid JSON: data after the top-level object
}

// ExampleScan reads two members without decoding the rest.
func ExampleScan() {
	var ms strictjson.Members
	if err := strictjson.Scan(`{"alg":"ES256","kid":"k1","x":[1,2]}`, &ms); err != nil {
		fmt.Println(err)
		return
	}
	raw, _ := ms.Lookup("alg")
	alg, _ := strictjson.String(raw)
	x, _ := ms.Lookup("x")
	fmt.Println(ms.Len(), alg, x)
	// Output: 3 ES256 [1,2]
}
