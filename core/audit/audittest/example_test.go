package audittest_test

import (
	"context"
	"fmt"

	"github.com/authkit-go/authkit/core/audit"
	"github.com/authkit-go/authkit/core/audit/audittest"
)

func ExampleRecorder() {
	rec := &audittest.Recorder{}
	var sink audit.Sink = rec // what a WithAudit option takes
	sink.Emit(context.Background(), audit.Event{Kind: audit.LoginFailed, Subject: "alice", Reason: "bad_password"})
	sink.Emit(context.Background(), audit.Event{Kind: audit.LoginSucceeded, Subject: "alice"})
	fmt.Println(rec.Count(audit.LoginFailed), rec.Of(audit.LoginFailed)[0].Reason, len(rec.Events()))
	rec.Reset()
	fmt.Println(len(rec.Events()))
	// Output:
	// 1 bad_password 2
	// 0
}
