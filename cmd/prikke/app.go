package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/api"
	"github.com/prikke/prikke/internal/auth"
	"github.com/prikke/prikke/internal/billing"
	"github.com/prikke/prikke/internal/config"
	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/httpserver"
	"github.com/prikke/prikke/internal/mail"
	"github.com/prikke/prikke/internal/monitor"
	"github.com/prikke/prikke/internal/ping"
	"github.com/prikke/prikke/internal/service"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/web"
)

// newMailer returns the SMTP sender, or the development mailbox when no
// SMTP server is configured.
func newMailer(cfg *config.Config) (mail.Mailer, *mail.Mailbox, error) {
	if cfg.SMTP.Host == "" {
		mb := mail.NewMailbox()
		return mb, mb, nil
	}
	m, err := mail.NewSMTP(mail.SMTPConfig{Host: cfg.SMTP.Host, Port: cfg.SMTP.Port, Username: cfg.SMTP.Username,
		Password: cfg.SMTP.Password, From: cfg.SMTP.From, TLS: cfg.SMTP.TLS})
	if err != nil {
		return nil, nil, fmt.Errorf("PRIKKE_SMTP_*: %w", err)
	}
	return m, nil, nil
}

// newService builds the application service shared by API and dashboard.
func newService(cfg *config.Config, st store.Store, client *delivery.Client, mailer mail.Mailer, logger *slog.Logger) *service.Service {
	return service.New(st, auth.NewHasher(), mailer, client, service.Config{BaseURL: cfg.BaseURL, SignupOpen: cfg.SignupOpen,
		DefaultTier: prikke.Tier(cfg.DefaultTier), Billing: newBilling(cfg), OperatorEmails: cfg.OperatorEmails}, logger)
}

// newBilling is the service's billing: off unless PRIKKE_BILLING names a
// provider.
func newBilling(cfg *config.Config) service.Billing {
	b := cfg.Billing
	if b.Provider != config.BillingLemonSqueezy {
		return service.Billing{}
	}
	return service.Billing{
		Provider:      billing.New(billing.Config{APIURL: b.APIURL, APIKey: b.APIKey, StoreID: b.StoreID, ProVariantID: b.ProVariantID}),
		SigningSecret: b.SigningSecret, ProVariantID: b.ProVariantID, TestMode: b.TestMode,
	}
}

// newRecorder returns the ping API's group-commit recorder, which moves
// monitors with the state machine. SQLite writes on one connection, so
// one writer there makes the largest batches; PostgreSQL overlaps two
// transactions' round trips.
func newRecorder(st store.Store, logger *slog.Logger) *ping.Recorder {
	writers := 1
	if st.Dialect() == "postgres" {
		writers = 2
	}
	return ping.NewRecorder(st, monitor.OnPing, ping.RecorderConfig{Writers: writers}, logger)
}

// newHandler assembles every route behind the shared middleware. The
// ping API records through rec, which the caller starts and stops; ready
// answers /readyz (nil: only the database's ping).
func newHandler(cfg *config.Config, st store.Store, svc *service.Service, rec *ping.Recorder, mailbox *mail.Mailbox, ready *httpserver.Readiness, logger *slog.Logger) (http.Handler, error) {
	cookie := auth.SessionCookie{Secure: cfg.Secure()}
	clientIP := httpserver.ClientIP(cfg.TrustedProxies)
	var mountErr error
	h := httpserver.New(httpserver.Deps{Store: st, Logger: logger, HSTS: cfg.Secure(), CrossOriginOpen: []string{"/ping/", "/webhooks/"}, Ready: ready,
		Mount: func(mux *http.ServeMux) {
			ping.New(ping.Deps{Store: st, Recorder: rec, Create: svc.CreateMonitorByPingKey, ClientIP: clientIP,
				Now: func() time.Time { return svc.NowFunc() }, Logger: logger}).Mount(mux)
			a := api.New(mux, api.Deps{Service: svc, Logger: logger, Cookie: cookie, ClientIP: clientIP})
			w, err := web.New(web.Deps{Logger: logger, BaseURL: cfg.BaseURL, Production: cfg.IsProduction(), Mailbox: mailbox, OpenAPI: a.OpenAPI,
				Service: svc, ClientIP: clientIP, Now: func() time.Time { return svc.NowFunc() }, SSRFAllow: cfg.SSRFRelaxed(), Legal: web.Legal(cfg.Legal)})
			if err != nil {
				mountErr = err
				return
			}
			w.Mount(mux)
		}})
	return h, mountErr
}
