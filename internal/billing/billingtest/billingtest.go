// Package billingtest is a loopback fake of Lemon Squeezy for tests: an
// API that records the checkouts Prikke creates and serves the
// subscriptions a test puts, a checkout page a browser can land on, and
// webhook payloads written from Lemon Squeezy's documented shapes, signed
// as Lemon Squeezy signs them.
package billingtest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/billing"
)

// Test credentials the fake expects and Config returns.
const (
	APIKey       = "test-api-key"
	StoreID      = "11"
	ProVariantID = "101"
	Secret       = "whsec-test-123" // a signing secret (6-40 characters)
)

// ProductID is the product the fake's Pro variant belongs to.
const ProductID = "21"

// mediaType is JSON:API's, which Lemon Squeezy's API speaks and asks for.
const mediaType = "application/vnd.api+json"

// TimeFormat is how Lemon Squeezy writes times: RFC 3339 in UTC with
// microseconds, e.g. "2026-01-02T03:04:05.000000Z".
const TimeFormat = "2006-01-02T15:04:05.000000Z"

// Checkout is one checkout Prikke created, as the fake received it.
type Checkout struct {
	ID             string
	StoreID        string
	VariantID      string
	Email          string // checkout_data.email
	Name           string // checkout_data.name
	OrganizationID string // checkout_data.custom.organization_id
	RedirectURL    string // product_options.redirect_url
	URL            string // the checkout page the fake answered with
}

// Server is the fake. Its checkout pages (GET /checkout/{id}) show the
// organization id the checkout carries, in an element with id
// "custom-organization-id".
type Server struct {
	*httptest.Server

	mu            sync.Mutex
	checkouts     []Checkout
	subscriptions map[string]prikke.Subscription
	portalHits    int
	failStatus    int
}

// New starts the fake on loopback; it stops when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{subscriptions: map[string]prikke.Subscription{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/checkouts", s.api(s.createCheckout))
	mux.HandleFunc("GET /v1/subscriptions/{id}", s.api(s.getSubscription))
	mux.HandleFunc("GET /checkout/{id}", s.checkoutPage)
	mux.HandleFunc("GET /portal/{id}", s.portalPage)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		problem(w, http.StatusNotFound, "Not Found", "The fake Lemon Squeezy does not serve "+r.Method+" "+r.URL.Path+".")
	})
	s.Server = httptest.NewServer(mux) // listens on 127.0.0.1
	t.Cleanup(s.Close)
	return s
}

// Config returns a billing.Config that points at the fake.
func (s *Server) Config() billing.Config {
	return billing.Config{
		APIURL:       s.URL,
		APIKey:       APIKey,
		StoreID:      StoreID,
		ProVariantID: ProVariantID,
		HTTPClient:   s.Client(),
	}
}

// Checkouts returns the checkouts created so far.
func (s *Server) Checkouts() []Checkout {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Checkout(nil), s.checkouts...)
}

// PutSubscription makes GET /v1/subscriptions/{sub.ID} answer sub, with a
// fresh customer-portal URL on the fake each time. Like Lemon Squeezy's
// API, the answer carries no custom data (it only comes with webhooks), so
// sub.OrganizationID is not sent.
func (s *Server) PutSubscription(sub *prikke.Subscription) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.subscriptions[sub.ID] = *sub
}

// PortalHits counts the customer-portal URLs the fake handed out.
func (s *Server) PortalHits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.portalHits
}

// FailWith makes every API call answer status with a JSON:API error, as
// an outage or a revoked key would (0: answer normally again). The
// checkout and portal pages are not affected.
func (s *Server) FailWith(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failStatus = status
}

// api checks what Lemon Squeezy's API checks of every request: the API key
// as a bearer token and the JSON:API media type, answering as it does.
func (s *Server) api(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+APIKey {
			problem(w, http.StatusUnauthorized, "Unauthorized", "Unauthenticated.")
			return
		}
		if r.Header.Get("Accept") != mediaType {
			problem(w, http.StatusNotAcceptable, "Not Acceptable", "The Accept header must be "+mediaType+".")
			return
		}
		if r.Method == http.MethodPost && r.Header.Get("Content-Type") != mediaType {
			problem(w, http.StatusUnsupportedMediaType, "Unsupported Media Type", "The Content-Type header must be "+mediaType+".")
			return
		}
		s.mu.Lock()
		fail := s.failStatus
		s.mu.Unlock()
		if fail != 0 {
			problem(w, fail, http.StatusText(fail), "The fake Lemon Squeezy was told to fail.")
			return
		}
		h(w, r)
	}
}

// problem answers a JSON:API error document as Lemon Squeezy does.
func problem(w http.ResponseWriter, status int, title, detail string) {
	writeJSON(w, status, map[string]any{
		"jsonapi": map[string]any{"version": "1.0"},
		"errors":  []any{map[string]any{"status": strconv.Itoa(status), "title": title, "detail": detail}},
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", mediaType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

type relationship struct {
	Data *struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	} `json:"data"`
}

func (s *Server) createCheckout(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Data struct {
			Type       string `json:"type"`
			Attributes struct {
				CheckoutData struct {
					Email  string            `json:"email"`
					Name   string            `json:"name"`
					Custom map[string]string `json:"custom"`
				} `json:"checkout_data"`
				ProductOptions struct {
					RedirectURL string `json:"redirect_url"`
				} `json:"product_options"`
			} `json:"attributes"`
			Relationships struct {
				Store   relationship `json:"store"`
				Variant relationship `json:"variant"`
			} `json:"relationships"`
		} `json:"data"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
		problem(w, http.StatusBadRequest, "Bad Request", "The body is not a JSON:API document: "+err.Error())
		return
	}
	d := req.Data
	switch {
	case d.Type != "checkouts":
		problem(w, http.StatusConflict, "Conflict", fmt.Sprintf("data.type must be checkouts, got %q.", d.Type))
		return
	case d.Relationships.Store.Data == nil || d.Relationships.Store.Data.Type != "stores" || d.Relationships.Store.Data.ID != StoreID:
		problem(w, http.StatusUnprocessableEntity, "Unprocessable Entity", "The store relationship must name store "+StoreID+".")
		return
	case d.Relationships.Variant.Data == nil || d.Relationships.Variant.Data.Type != "variants" || d.Relationships.Variant.Data.ID != ProVariantID:
		problem(w, http.StatusUnprocessableEntity, "Unprocessable Entity", "The variant relationship must name variant "+ProVariantID+".")
		return
	}
	s.mu.Lock()
	c := Checkout{
		ID:             fmt.Sprintf("chk-%d", len(s.checkouts)+1),
		StoreID:        d.Relationships.Store.Data.ID,
		VariantID:      d.Relationships.Variant.Data.ID,
		Email:          d.Attributes.CheckoutData.Email,
		Name:           d.Attributes.CheckoutData.Name,
		OrganizationID: d.Attributes.CheckoutData.Custom["organization_id"],
		RedirectURL:    d.Attributes.ProductOptions.RedirectURL,
	}
	c.URL = s.URL + "/checkout/" + c.ID
	s.checkouts = append(s.checkouts, c)
	s.mu.Unlock()
	now := time.Now().UTC().Format(TimeFormat)
	writeJSON(w, http.StatusCreated, map[string]any{
		"jsonapi": map[string]any{"version": "1.0"},
		"links":   map[string]any{"self": s.URL + "/v1/checkouts/" + c.ID},
		"data": map[string]any{
			"type": "checkouts",
			"id":   c.ID,
			"attributes": map[string]any{
				"store_id":        jsonID(c.StoreID),
				"variant_id":      jsonID(c.VariantID),
				"custom_price":    nil,
				"product_options": map[string]any{"redirect_url": c.RedirectURL},
				"checkout_data": map[string]any{
					"email": c.Email, "name": c.Name,
					"custom": map[string]any{"organization_id": c.OrganizationID},
				},
				"expires_at": nil,
				"created_at": now,
				"updated_at": now,
				"test_mode":  true,
				"url":        c.URL,
			},
		},
	})
}

func (s *Server) getSubscription(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	sub, ok := s.subscriptions[id]
	if ok {
		s.portalHits++
	}
	hit := s.portalHits
	s.mu.Unlock()
	if !ok {
		problem(w, http.StatusNotFound, "Not Found", "The subscription "+id+" was not found.")
		return
	}
	portal := fmt.Sprintf("%s/portal/%s?signature=fresh-%d", s.URL, id, hit)
	writeJSON(w, http.StatusOK, map[string]any{
		"jsonapi": map[string]any{"version": "1.0"},
		"links":   map[string]any{"self": s.URL + "/v1/subscriptions/" + id},
		"data":    subscriptionResource(&sub, portal, s.URL),
	})
}

var checkoutPage = template.Must(template.New("checkout").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Checkout (fake Lemon Squeezy)</title></head>
<body>
<h1>Checkout {{.ID}}</h1>
<p>Store <span id="store-id">{{.StoreID}}</span>, variant <span id="variant-id">{{.VariantID}}</span></p>
<p>Email <span id="checkout-email">{{.Email}}</span></p>
<p>Name <span id="checkout-name">{{.Name}}</span></p>
<p>Organization <span id="custom-organization-id">{{.OrganizationID}}</span></p>
<p><a id="redirect-url" href="{{.RedirectURL}}">Back to the shop</a></p>
</body></html>
`))

func (s *Server) checkoutPage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	var found *Checkout
	for i := range s.checkouts {
		if s.checkouts[i].ID == id {
			c := s.checkouts[i]
			found = &c
		}
	}
	s.mu.Unlock()
	if found == nil {
		http.Error(w, "no such checkout", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = checkoutPage.Execute(w, found)
}

func (s *Server) portalPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, "<!doctype html>\n<title>Customer portal (fake Lemon Squeezy)</title>\n<h1>Customer portal</h1>\n<p>Subscription <span id=\"subscription-id\">%s</span></p>\n",
		template.HTMLEscapeString(r.PathValue("id")))
}

// ProSubscription returns an active subscription to the fake's Pro variant,
// created and updated at at, renewing a month later: a starting point
// tests change.
func ProSubscription(id string, at time.Time) *prikke.Subscription {
	renews := at.AddDate(0, 1, 0)
	return &prikke.Subscription{
		ID: id, StoreID: StoreID, CustomerID: "31", OrderID: "41", ProductID: ProductID, VariantID: ProVariantID,
		Status: prikke.SubscriptionActive, CustomerEmail: "buyer@example.com", CustomerName: "Buyer",
		CardBrand: "visa", CardLastFour: "4242", RenewsAt: &renews, CreatedAt: at, UpdatedAt: at,
	}
}

// SubscriptionEvent returns a webhook body for a subscription event (name
// like "subscription_updated") about sub, with custom data
// organization_id orgID (omitted when ""), in Lemon Squeezy's shape.
func SubscriptionEvent(name string, sub *prikke.Subscription, orgID string, testMode bool) []byte {
	portal := "https://prikke-test.lemonsqueezy.com/billing?expires=1&user=1&signature=test"
	return event(name, orgID, testMode, subscriptionResource(sub, portal, "https://api.lemonsqueezy.com"))
}

// InvoiceEvent returns a webhook body for a payment event
// (subscription_payment_success, _failed, _recovered) about inv.
func InvoiceEvent(name string, inv billing.Invoice, orgID string, testMode bool) []byte {
	at := inv.UpdatedAt.UTC().Format(TimeFormat)
	attrs := map[string]any{
		"store_id":                 jsonID(StoreID),
		"subscription_id":          jsonID(inv.SubscriptionID),
		"customer_id":              jsonID("31"),
		"user_name":                "Buyer",
		"user_email":               "buyer@example.com",
		"billing_reason":           inv.BillingReason,
		"card_brand":               "visa",
		"card_last_four":           "4242",
		"currency":                 "EUR",
		"currency_rate":            "1.00000000",
		"status":                   inv.Status,
		"status_formatted":         formatted(inv.Status),
		"refunded":                 inv.Status == "refunded",
		"refunded_at":              nil,
		"subtotal":                 2900,
		"discount_total":           0,
		"tax":                      0,
		"total":                    2900,
		"subtotal_formatted":       inv.Total,
		"discount_total_formatted": "€0.00",
		"tax_formatted":            "€0.00",
		"total_formatted":          inv.Total,
		"urls":                     map[string]any{"invoice_url": "https://app.lemonsqueezy.com/my-orders/invoice/test"},
		"created_at":               at,
		"updated_at":               at,
		"test_mode":                testMode,
	}
	api := "https://api.lemonsqueezy.com/v1/subscription-invoices/" + inv.ID
	return event(name, orgID, testMode, map[string]any{
		"type":       "subscription-invoices",
		"id":         inv.ID,
		"attributes": attrs,
		"relationships": map[string]any{
			"store":        related(api, "store"),
			"subscription": related(api, "subscription"),
			"customer":     related(api, "customer"),
		},
		"links": map[string]any{"self": api},
	})
}

// Sign returns the X-Signature Lemon Squeezy sends: hex HMAC-SHA256 of
// body with secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// event wraps a resource in a webhook delivery's envelope.
func event(name, orgID string, testMode bool, data map[string]any) []byte {
	meta := map[string]any{
		"event_name": name,
		"test_mode":  testMode,
		"webhook_id": "5e2a2c2a-7f4b-4c1e-9f0a-000000000001",
	}
	if orgID != "" {
		meta["custom_data"] = map[string]any{"organization_id": orgID}
	}
	b, err := json.Marshal(map[string]any{"meta": meta, "data": data})
	if err != nil {
		panic(err)
	}
	return b
}

// subscriptionResource is a subscription as Lemon Squeezy's webhooks and
// API write it (data.type "subscriptions").
func subscriptionResource(sub *prikke.Subscription, portal, apiURL string) map[string]any {
	var pause any
	if sub.Status == prikke.SubscriptionPaused || sub.PauseMode != "" {
		pause = map[string]any{"mode": sub.PauseMode, "resumes_at": nil}
	}
	attrs := map[string]any{
		"store_id":         jsonID(sub.StoreID),
		"customer_id":      jsonID(sub.CustomerID),
		"order_id":         jsonID(sub.OrderID),
		"order_item_id":    jsonID(sub.OrderID),
		"product_id":       jsonID(sub.ProductID),
		"variant_id":       jsonID(sub.VariantID),
		"product_name":     "Prikke",
		"variant_name":     "Pro",
		"user_name":        sub.CustomerName,
		"user_email":       sub.CustomerEmail,
		"status":           string(sub.Status),
		"status_formatted": formatted(string(sub.Status)),
		"card_brand":       sub.CardBrand,
		"card_last_four":   sub.CardLastFour,
		"pause":            pause,
		"cancelled":        sub.Status == prikke.SubscriptionCancelled,
		"trial_ends_at":    timeOrNull(sub.TrialEndsAt),
		"billing_anchor":   sub.CreatedAt.UTC().Day(),
		"urls": map[string]any{
			"update_payment_method":               portal,
			"customer_portal":                     portal,
			"customer_portal_update_subscription": portal,
		},
		"renews_at":  timeOrNull(sub.RenewsAt),
		"ends_at":    timeOrNull(sub.EndsAt),
		"created_at": sub.CreatedAt.UTC().Format(TimeFormat),
		"updated_at": sub.UpdatedAt.UTC().Format(TimeFormat),
		"test_mode":  sub.TestMode,
	}
	self := apiURL + "/v1/subscriptions/" + sub.ID
	return map[string]any{
		"type":       "subscriptions",
		"id":         sub.ID,
		"attributes": attrs,
		"relationships": map[string]any{
			"store":    related(self, "store"),
			"customer": related(self, "customer"),
			"order":    related(self, "order"),
			"product":  related(self, "product"),
			"variant":  related(self, "variant"),
		},
		"links": map[string]any{"self": self},
	}
}

func related(self, name string) map[string]any {
	return map[string]any{"links": map[string]any{
		"related": self + "/" + name,
		"self":    self + "/relationships/" + name,
	}}
}

// jsonID writes an id as Lemon Squeezy does in attributes: a JSON number
// (ids that are not numbers stay strings; "" is null).
func jsonID(s string) any {
	if s == "" {
		return nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n
	}
	return s
}

func timeOrNull(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC().Format(TimeFormat)
}

// formatted is Lemon Squeezy's *_formatted rendering of a status.
func formatted(status string) string {
	s := strings.ReplaceAll(status, "_", " ")
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
