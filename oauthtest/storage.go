package oauthtest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"slices"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// storage is a compact in-memory op.Storage, modelled on zitadel/oidc's
// example storage: auth requests, codes, access and refresh tokens, clients
// and users in maps under one mutex. Codes and refresh tokens are single
// use, as a real provider's are.
type storage struct {
	mu            sync.Mutex
	requests      map[string]*authRequest
	codes         map[string]string // code -> request id
	tokens        map[string]*accessToken
	refreshTokens map[string]*refreshToken
	clients       map[string]*client
	users         map[string]User

	signing   signingKey
	published signingKey // what the JWKS shows; differs from signing under WithForeignJWKS
	tokenTTL  time.Duration
}

func newStorage(signing, published signingKey, tokenTTL time.Duration) *storage {
	return &storage{
		requests:      map[string]*authRequest{},
		codes:         map[string]string{},
		tokens:        map[string]*accessToken{},
		refreshTokens: map[string]*refreshToken{},
		clients:       map[string]*client{},
		users:         map[string]User{},
		signing:       signing,
		published:     published,
		tokenTTL:      tokenTTL,
	}
}

func newID() string {
	b := make([]byte, 18)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

var errNotFound = errors.New("oauthtest: not found")

// authRequest is one authorization request, completed by the login page.
type authRequest struct {
	id          string
	clientID    string
	redirectURI string
	state       string
	nonce       string
	scopes      []string
	audience    []string
	challenge   *oidc.CodeChallenge
	subject     string
	authTime    time.Time
	amr         []string
	done        bool
}

func (a *authRequest) GetID() string                         { return a.id }
func (a *authRequest) GetACR() string                        { return "" }
func (a *authRequest) GetAMR() []string                      { return a.amr }
func (a *authRequest) GetAudience() []string                 { return a.audience }
func (a *authRequest) GetAuthTime() time.Time                { return a.authTime }
func (a *authRequest) GetClientID() string                   { return a.clientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge { return a.challenge }
func (a *authRequest) GetNonce() string                      { return a.nonce }
func (a *authRequest) GetRedirectURI() string                { return a.redirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType    { return oidc.ResponseTypeCode }
func (a *authRequest) GetResponseMode() oidc.ResponseMode    { return oidc.ResponseModeQuery }
func (a *authRequest) GetScopes() []string                   { return a.scopes }
func (a *authRequest) GetState() string                      { return a.state }
func (a *authRequest) GetSubject() string                    { return a.subject }
func (a *authRequest) Done() bool                            { return a.done }

type accessToken struct {
	id, clientID, subject string
	audience, scopes      []string
	expires               time.Time
}

// refreshToken is both an op.RefreshTokenRequest and the stored record.
type refreshToken struct {
	token, clientID, subject string
	audience, scopes, amr    []string
	authTime                 time.Time
	accessTokenID            string
}

func (r *refreshToken) GetAMR() []string                 { return r.amr }
func (r *refreshToken) GetAudience() []string            { return r.audience }
func (r *refreshToken) GetAuthTime() time.Time           { return r.authTime }
func (r *refreshToken) GetClientID() string              { return r.clientID }
func (r *refreshToken) GetScopes() []string              { return r.scopes }
func (r *refreshToken) GetSubject() string               { return r.subject }
func (r *refreshToken) SetCurrentScopes(scopes []string) { r.scopes = scopes }

// client is a registered client. service clients only use client
// credentials.
type client struct {
	Client
	service bool
}

func (c *client) GetID() string                       { return c.ID }
func (c *client) RedirectURIs() []string              { return c.Client.RedirectURIs }
func (c *client) PostLogoutRedirectURIs() []string    { return nil }
func (c *client) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }
func (c *client) AuthMethod() oidc.AuthMethod {
	if c.Secret == "" {
		return oidc.AuthMethodNone
	}
	return oidc.AuthMethodBasic
}
func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *client) GrantTypes() []oidc.GrantType {
	if c.service {
		return []oidc.GrantType{oidc.GrantTypeClientCredentials}
	}
	return []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
}
func (c *client) LoginURL(id string) string            { return "/login?id=" + id }
func (c *client) AccessTokenType() op.AccessTokenType  { return op.AccessTokenTypeBearer }
func (c *client) IDTokenLifetime() time.Duration       { return c.Client.IDTokenLifetime }
func (c *client) DevMode() bool                        { return false }
func (c *client) IsScopeAllowed(string) bool           { return false }
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c *client) ClockSkew() time.Duration             { return 0 }
func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// signingKey is a key and its kid; it serves as op.SigningKey and op.Key.
type signingKey struct {
	id  string
	alg jose.SignatureAlgorithm
	key any // private key for signing, public key for the JWKS
}

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return k.alg }
func (k signingKey) Algorithm() jose.SignatureAlgorithm          { return k.alg }
func (k signingKey) Key() any                                    { return k.key }
func (k signingKey) ID() string                                  { return k.id }
func (k signingKey) Use() string                                 { return "sig" }

// login marks request id as authenticated by subject.
func (s *storage) login(id, subject string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.requests[id]
	if !ok {
		return errNotFound
	}
	r.subject, r.authTime, r.done = subject, time.Now(), true
	r.amr = []string{"pwd"}
	if u, ok := s.users[subject]; ok && len(u.AMR) > 0 {
		r.amr = slices.Clone(u.AMR)
	}
	if s.users[subject].OmitAuthTime {
		r.authTime = time.Time{}
	}
	return nil
}

func (s *storage) CreateAuthRequest(_ context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[req.ClientID]
	if !ok {
		return nil, errNotFound
	}
	r := &authRequest{
		id: newID(), clientID: req.ClientID, redirectURI: req.RedirectURI, state: req.State, nonce: req.Nonce,
		scopes: req.Scopes, audience: c.audience(),
	}
	if req.CodeChallenge != "" {
		r.challenge = &oidc.CodeChallenge{Challenge: req.CodeChallenge, Method: req.CodeChallengeMethod}
	}
	s.requests[r.id] = r
	return r, nil
}

func (c *client) audience() []string {
	if c.Audience != nil {
		return c.Audience
	}
	return []string{c.ID}
}

func (s *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.requests[id]; ok {
		return r, nil
	}
	return nil, errNotFound
}

func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	id, ok := s.codes[code]
	s.mu.Unlock()
	if !ok {
		return nil, errNotFound
	}
	return s.AuthRequestByID(ctx, id)
}

func (s *storage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = id
	return nil
}

// DeleteAuthRequest runs when a code is redeemed: the request and its code
// are gone, so a code works once.
func (s *storage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.requests, id)
	for code, rid := range s.codes {
		if rid == id {
			delete(s.codes, code)
		}
	}
	return nil
}

func (s *storage) newAccessToken(clientID, subject string, audience, scopes []string) *accessToken {
	t := &accessToken{id: newID(), clientID: clientID, subject: subject, audience: audience, scopes: scopes, expires: time.Now().Add(s.tokenTTL)}
	s.tokens[t.id] = t
	return t
}

func (s *storage) CreateAccessToken(_ context.Context, req op.TokenRequest) (string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	clientID := req.GetSubject() // client credentials: the client is the subject
	if a, ok := req.(*authRequest); ok {
		clientID = a.clientID
	}
	t := s.newAccessToken(clientID, req.GetSubject(), req.GetAudience(), req.GetScopes())
	return t.id, t.expires, nil
}

// CreateAccessAndRefreshTokens issues a pair; presenting a refresh token
// rotates it (the old one stops working).
func (s *storage) CreateAccessAndRefreshTokens(_ context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var rt *refreshToken
	switch r := req.(type) {
	case *authRequest:
		rt = &refreshToken{clientID: r.clientID, subject: r.subject, audience: r.audience, scopes: r.scopes, amr: r.GetAMR(), authTime: r.authTime}
	case *refreshToken:
		if _, ok := s.refreshTokens[current]; !ok {
			return "", "", time.Time{}, op.ErrInvalidRefreshToken
		}
		delete(s.refreshTokens, current)
		delete(s.tokens, r.accessTokenID)
		rt = r
	default:
		return "", "", time.Time{}, errors.New("oauthtest: unexpected token request")
	}
	at := s.newAccessToken(rt.clientID, rt.subject, rt.audience, rt.scopes)
	rt.token, rt.accessTokenID = newID(), at.id
	s.refreshTokens[rt.token] = rt
	return at.id, rt.token, at.expires, nil
}

func (s *storage) TokenRequestByRefreshToken(_ context.Context, token string) (op.RefreshTokenRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rt, ok := s.refreshTokens[token]; ok {
		return rt, nil
	}
	return nil, op.ErrInvalidRefreshToken
}

func (s *storage) TerminateSession(_ context.Context, userID, clientID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, rt := range s.refreshTokens {
		if rt.subject == userID && rt.clientID == clientID {
			delete(s.refreshTokens, k)
		}
	}
	return nil
}

func (s *storage) RevokeToken(_ context.Context, token, _, _ string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tokens, token)
	delete(s.refreshTokens, token)
	return nil
}

func (s *storage) GetRefreshTokenInfo(_ context.Context, _ string, token string) (string, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rt, ok := s.refreshTokens[token]; ok {
		return rt.subject, rt.token, nil
	}
	return "", "", op.ErrInvalidRefreshToken
}

func (s *storage) SigningKey(context.Context) (op.SigningKey, error) { return s.signing, nil }

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{s.signing.alg}, nil
}

func (s *storage) KeySet(context.Context) ([]op.Key, error) { return []op.Key{s.published}, nil }

func (s *storage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.clients[id]; ok && !c.service {
		return c, nil
	}
	return nil, errNotFound
}

func (s *storage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.clients[id]; ok && c.Secret != "" && c.Secret == secret {
		return nil
	}
	return errors.New("oauthtest: invalid client")
}

func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest fills ID token claims from the user's profile.
func (s *storage) SetUserinfoFromRequest(_ context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	return s.setUserinfo(info, req.GetSubject(), scopes)
}

func (s *storage) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	s.mu.Lock()
	t, ok := s.tokens[tokenID]
	s.mu.Unlock()
	if !ok || t.expires.Before(time.Now()) {
		return errors.New("oauthtest: token invalid")
	}
	return s.setUserinfo(info, t.subject, t.scopes)
}

func (s *storage) setUserinfo(info *oidc.UserInfo, subject string, scopes []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[subject]
	if !ok {
		return errNotFound
	}
	info.Subject = u.Subject
	if slices.Contains(scopes, oidc.ScopeEmail) {
		info.Email, info.EmailVerified = u.Email, oidc.Bool(u.EmailVerified)
	}
	if slices.Contains(scopes, oidc.ScopeProfile) {
		info.Name, info.PreferredUsername = u.Name, u.Name
	}
	return nil
}

func (s *storage) SetIntrospectionFromToken(_ context.Context, resp *oidc.IntrospectionResponse, tokenID, _, clientID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[tokenID]
	if !ok || t.clientID != clientID {
		return errNotFound
	}
	resp.Active, resp.Subject, resp.ClientID, resp.Scope = true, t.subject, t.clientID, t.scopes
	return nil
}

func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errNotFound
}

func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("oauthtest: JWT profile not supported")
}

func (s *storage) Health(context.Context) error { return nil }

// ClientCredentials authenticates a service client.
func (s *storage) ClientCredentials(_ context.Context, id, secret string) (op.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.clients[id]; ok && c.service && c.Secret == secret {
		return c, nil
	}
	return nil, errors.New("oauthtest: invalid client")
}

func (s *storage) ClientCredentialsTokenRequest(_ context.Context, id string, scopes []string) (op.TokenRequest, error) {
	return &oidc.JWTTokenRequest{Subject: id, Audience: []string{id}, Scopes: scopes}, nil
}
