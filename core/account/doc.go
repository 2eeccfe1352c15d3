// Package account holds what the account flows — password reset, email
// verification, password and email change, security notices — need beyond
// tokens and sessions: the Mailer they send through (LogMailer, DirMailer,
// SMTPMailer with STARTTLS required, or the application's own), the
// messages they send (TokenMessage, Notice), RFC 5322 formatting, email
// address checks (ParseEmail), and the Outbox that keeps mail and the work
// a reset request does only for an existing account out of the request.
//
// The tokens are core/token's purpose tokens (single use, purpose-bound,
// bound with token.BoundTo to the address they are mailed to); the "sign
// out everywhere else" of a password change is guard.SignOutOthers.
//
// # Wiring
//
//	mailer, err := account.NewSMTPMailer("smtp.example.com:587", "Example <no-reply@example.com>",
//		account.WithSMTPAuth(user, password)) // or NewDirMailer, NewLogMailer
//	outbox, err := account.NewOutbox()
//	defer outbox.Close(ctx)
//
//	// POST /password/forgot: the same answer, at the same speed, for
//	// every username; only the background job differs.
//	u, err := users.Get(ctx, name)            // a store failure is the only other answer (503)
//	if err == nil && u.Email != "" {
//		_ = outbox.Go(func(ctx context.Context) error {
//			tok, err := issuer.IssuePurpose(ctx, u.Name, token.PurposePasswordReset, token.BoundTo(u.Email))
//			if err != nil {
//				return err
//			}
//			return mailer.Send(ctx, account.TokenMessage(account.KindPasswordReset, u.Email, u.Name, tok, 15*time.Minute, link))
//		})
//	}
//	// answer 202
//
// # Tokens in links
//
// A Link puts the token in the URL's fragment (https://app.example/reset#token=...),
// which a browser never sends: the token cannot reach an access log, a
// proxy or a Referer. The page reads it and posts it. Never put a token in
// a query string.
//
// # Notices
//
// Notice builds the messages that tell a user about a change to the
// account (password changed or reset, email changed, second factor on or
// off, a sign-in from a new device). They never carry a token or a secret:
// a notice only lets someone who did not make the change know to act.
package account
