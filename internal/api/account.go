package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/service"
)

// Message is a plain acknowledgement.
type Message struct {
	Message string `json:"message" doc:"What happened, in words." example:"Done."`
}

type messageBody struct{ Body *Message }

func ack(msg string) *messageBody { return &messageBody{&Message{Message: msg}} }

type credentials struct {
	Email    string `json:"email" example:"you@example.com" doc:"Your email address."`
	Password string `json:"password" example:"correct horse battery staple" doc:"Your password (at least 8 characters when signing up)."`
}

func (a *API) handleSignup(ctx context.Context, in *bodyOnly) (*messageBody, error) {
	var req credentials
	if err := decode(&in.bodyInput, &req); err != nil {
		return nil, err
	}
	if err := a.svc.Signup(ctx, service.SignupInput{Email: req.Email, Password: req.Password}, actorOf(ctx).IP); err != nil {
		return nil, err
	}
	return ack("Check your inbox: we sent a link to confirm your address."), nil
}

type tokenRequest struct {
	Token string `json:"token" doc:"The token from the link in the mail."`
}

// Confirmed says what following a confirmation link did.
type Confirmed struct {
	Message string `json:"message" doc:"What happened, in words." example:"Your address is confirmed."`
	// A re-sign-up's link hands over a reset token rather than setting a
	// password anyone chose at sign-up.
	PasswordToken string `json:"password_token,omitempty" doc:"Present only when the link was mailed after the address was signed up again before it was confirmed: the account is confirmed but has no password yet (the one sent at sign-up is not used, since anyone could have sent it). Choose one within an hour by sending this as the token, with the password, to POST /api/v1/account/password-reset/confirm."`
}

func (a *API) handleConfirm(ctx context.Context, in *bodyOnly) (*struct{ Body *Confirmed }, error) {
	var req tokenRequest
	if err := decode(&in.bodyInput, &req); err != nil {
		return nil, err
	}
	c, err := a.svc.Confirm(ctx, req.Token)
	if err != nil {
		return nil, err
	}
	if c.PasswordToken != "" {
		return &struct{ Body *Confirmed }{&Confirmed{PasswordToken: c.PasswordToken,
			Message: "Your address is confirmed. Choose your password: send password_token as the token, with the password, to POST /api/v1/account/password-reset/confirm."}}, nil
	}
	return &struct{ Body *Confirmed }{&Confirmed{Message: "Your address is confirmed."}}, nil
}

// Account is the signed-in user.
type Account struct {
	ID            string          `json:"id" doc:"Your user id."`
	Email         string          `json:"email" doc:"Your email address." example:"you@example.com"`
	Confirmed     bool            `json:"confirmed" doc:"Whether the address has been confirmed through the mailed link." example:"true"`
	TimeZone      string          `json:"time_zone" example:"Europe/Oslo" doc:"The IANA time zone the dashboard shows your times in. Sign-up in the dashboard starts it at the browser's zone; otherwise it is UTC. Change it with PATCH /api/v1/account."`
	CreatedAt     time.Time       `json:"created_at" doc:"When the account was created."`
	Organizations []*Organization `json:"organizations" doc:"The organizations you belong to, your personal one first."`
}

type loginOutput struct {
	SetCookie http.Cookie `header:"Set-Cookie"`
	Body      *Account
}

func (a *API) handleLogin(ctx context.Context, in *bodyOnly) (*loginOutput, error) {
	var req credentials
	if err := decode(&in.bodyInput, &req); err != nil {
		return nil, err
	}
	r := requestOf(ctx)
	sess, err := a.svc.Login(ctx, req.Email, req.Password, actorOf(ctx).IP, r.UserAgent())
	if err != nil {
		return nil, err
	}
	actor := &service.Actor{User: sess.User}
	acct, err := a.account(ctx, actor)
	if err != nil {
		return nil, err
	}
	c := a.deps.Cookie
	return &loginOutput{SetCookie: http.Cookie{Name: c.Name(), Value: sess.Token, Path: "/", Secure: c.Secure,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: int(prikke.SessionAbsoluteTimeout / time.Second)}, Body: acct}, nil
}

func (a *API) account(ctx context.Context, actor *service.Actor) (*Account, error) {
	u := actor.User
	orgs, err := a.organizations(ctx, actor)
	if err != nil {
		return nil, err
	}
	return &Account{ID: u.ID.String(), Email: u.Email, Confirmed: u.Confirmed(), TimeZone: u.TimeZone, CreatedAt: u.CreatedAt, Organizations: orgs}, nil
}

func (a *API) handleAccountGet(ctx context.Context, _ *struct{}) (*struct{ Body *Account }, error) {
	actor := actorOf(ctx)
	if actor.User == nil {
		return nil, huma.Error403Forbidden("This is about a signed-in user; an API key belongs to an organization, not a person.")
	}
	acct, err := a.account(ctx, actor)
	if err != nil {
		return nil, err
	}
	return &struct{ Body *Account }{acct}, nil
}

// accountUpdate changes the signed-in user's settings; absent fields stay.
type accountUpdate struct {
	TimeZone *string `json:"time_zone,omitempty" example:"Europe/Oslo" doc:"The IANA time zone to show your times in, such as \"Europe/Oslo\", \"America/New_York\" or \"UTC\"."`
}

func (a *API) handleAccountUpdate(ctx context.Context, in *bodyOnly) (*struct{ Body *Account }, error) {
	actor := actorOf(ctx)
	if actor.User == nil {
		return nil, huma.Error403Forbidden("This is about a signed-in user; an API key belongs to an organization, not a person.")
	}
	var req accountUpdate
	if err := decode(&in.bodyInput, &req); err != nil {
		return nil, err
	}
	if req.TimeZone != nil {
		u, err := a.svc.SetTimeZone(ctx, actor, *req.TimeZone)
		if err != nil {
			return nil, err
		}
		changed := *actor
		changed.User = u
		actor = &changed
	}
	acct, err := a.account(ctx, actor)
	if err != nil {
		return nil, err
	}
	return &struct{ Body *Account }{acct}, nil
}

type logoutOutput struct {
	SetCookie http.Cookie `header:"Set-Cookie"`
}

func (a *API) handleLogout(ctx context.Context, _ *struct{}) (*logoutOutput, error) {
	if err := a.svc.Logout(ctx, actorOf(ctx)); err != nil {
		return nil, err
	}
	c := a.deps.Cookie
	return &logoutOutput{http.Cookie{Name: c.Name(), Value: "", Path: "/", Secure: c.Secure, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, MaxAge: -1}}, nil
}

type emailRequest struct {
	Email string `json:"email" doc:"The account's email address."`
}

func (a *API) handlePasswordResetRequest(ctx context.Context, in *bodyOnly) (*messageBody, error) {
	var req emailRequest
	if err := decode(&in.bodyInput, &req); err != nil {
		return nil, err
	}
	if err := a.svc.RequestPasswordReset(ctx, req.Email, actorOf(ctx).IP); err != nil {
		return nil, err
	}
	return ack("If an account uses that address, we sent it a link to choose a new password."), nil
}

type resetRequest struct {
	Token    string `json:"token" doc:"The token from the mailed reset link."`
	Password string `json:"password" doc:"The new password (at least 8 characters)."`
}

func (a *API) handlePasswordReset(ctx context.Context, in *bodyOnly) (*messageBody, error) {
	var req resetRequest
	if err := decode(&in.bodyInput, &req); err != nil {
		return nil, err
	}
	if err := a.svc.ResetPassword(ctx, req.Token, req.Password, actorOf(ctx).IP); err != nil {
		return nil, err
	}
	return ack("Your password is changed. Sign in with the new one."), nil
}

type passwordChange struct {
	CurrentPassword string `json:"current_password" doc:"Your current password."`
	Password        string `json:"password" doc:"The new password (at least 8 characters)."`
}

func (a *API) handlePasswordChange(ctx context.Context, in *bodyOnly) (*messageBody, error) {
	var req passwordChange
	if err := decode(&in.bodyInput, &req); err != nil {
		return nil, err
	}
	if err := a.svc.ChangePassword(ctx, actorOf(ctx), req.CurrentPassword, req.Password); err != nil {
		return nil, err
	}
	return ack("Your password is changed; your other sessions have ended."), nil
}

type emailChange struct {
	Password string `json:"current_password" doc:"Your current password."`
	Email    string `json:"email" doc:"The new address; it takes effect once confirmed through the mailed link."`
}

func (a *API) handleEmailChange(ctx context.Context, in *bodyOnly) (*messageBody, error) {
	var req emailChange
	if err := decode(&in.bodyInput, &req); err != nil {
		return nil, err
	}
	if err := a.svc.ChangeEmail(ctx, actorOf(ctx), req.Password, req.Email); err != nil {
		return nil, err
	}
	return ack("We sent a link to the new address; the change takes effect when you open it."), nil
}

type passwordConfirm struct {
	Password string `json:"current_password" doc:"Your current password, to confirm."`
}

func (a *API) handleAccountDelete(ctx context.Context, in *bodyOnly) (*logoutOutput, error) {
	var req passwordConfirm
	if err := decode(&in.bodyInput, &req); err != nil {
		return nil, err
	}
	if err := a.svc.DeleteAccount(ctx, actorOf(ctx), req.Password); err != nil {
		return nil, err
	}
	c := a.deps.Cookie
	return &logoutOutput{http.Cookie{Name: c.Name(), Value: "", Path: "/", Secure: c.Secure, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, MaxAge: -1}}, nil
}

// The operations of this file, for the reference; routes.go gives their
// methods and paths.
var (
	opSignup = operation{ID: "signup", Tag: "Account", Public: true, Status: http.StatusAccepted, Body: credentials{},
		Summary:     "Register",
		Description: "Creates an account and mails a confirmation link. Answers the same whether or not the address is taken: a confirmed address gets a password reset link; one never confirmed gets a fresh confirmation link (earlier ones stop working) and this password is not used: following that link confirms the address and then asks for a password (see confirm's password_token), so only the mailbox's owner chooses it."}

	opConfirm = operation{ID: "confirm", Tag: "Account", Public: true, Body: tokenRequest{},
		Summary:     "Confirm an address",
		Description: "Confirms an account (or a new address) with the token from the mailed link. A link mailed after the address was signed up again also answers a password_token, with which to choose the account's password through password-reset/confirm."}

	opLogin = operation{ID: "login", Tag: "Account", Public: true, Body: credentials{},
		Summary:     "Sign in",
		Description: "Starts a session (a cookie). Limited to 20 attempts an hour per IP and 20 a day per account."}

	opLogout = operation{ID: "logout", Tag: "Account", Status: http.StatusNoContent,
		Summary:     "Sign out",
		Description: "Ends the session of the cookie sent and clears the cookie. API keys are not affected."}

	opAccount = operation{ID: "account", Tag: "Account",
		Summary:     "The signed-in user and their organizations",
		Description: "Your user id, email address and the organizations you belong to with their tiers."}

	opAccountUpdate = operation{ID: "account-update", Tag: "Account", Body: accountUpdate{},
		Summary:     "Change your settings",
		Description: "Sets the time zone the dashboard shows your times in."}

	opPasswordResetRequest = operation{ID: "password-reset-request", Tag: "Account", Public: true, Status: http.StatusAccepted, Body: emailRequest{},
		Summary:     "Ask for a password reset link",
		Description: "Answers the same whether or not the address has an account."}

	opPasswordReset = operation{ID: "password-reset", Tag: "Account", Public: true, Body: resetRequest{},
		Summary:     "Choose a new password with a reset token",
		Description: "Takes the token of a mailed reset link, or the password_token a confirmation answered. Ends every session of the account."}

	opPasswordChange = operation{ID: "password-change", Tag: "Account", Body: passwordChange{},
		Summary:     "Change your password",
		Description: "Ends your other sessions."}

	opEmailChange = operation{ID: "email-change", Tag: "Account", Status: http.StatusAccepted, Body: emailChange{},
		Summary:     "Change your email",
		Description: "Mails a confirmation link to the new address."}

	opAccountDelete = operation{ID: "account-delete", Tag: "Account", Status: http.StatusNoContent, Body: passwordConfirm{},
		Summary:     "Delete your account",
		Description: "Deletes the account, its sessions, and the organizations you alone own."}
)
