package billing

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"time"

	"github.com/prikke/prikke"
)

// lsID is an id in Lemon Squeezy's attributes: a JSON number there
// (store_id: 1), a string in data.id; both read as the string Prikke keeps.
type lsID string

func (id *lsID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*id = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*id = lsID(s)
		return nil
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return fmt.Errorf("an id must be a whole number or a string, got %s", b)
	}
	*id = lsID(strconv.FormatInt(n, 10))
	return nil
}

// resource is a JSON:API resource object.
type resource struct {
	Type       string          `json:"type"`
	ID         lsID            `json:"id"`
	Attributes json.RawMessage `json:"attributes"`
}

// subscriptionAttributes are the attributes of a "subscriptions" resource
// Prikke reads (https://docs.lemonsqueezy.com/api/subscriptions/the-subscription-object).
type subscriptionAttributes struct {
	StoreID      lsID   `json:"store_id"`
	CustomerID   lsID   `json:"customer_id"`
	OrderID      lsID   `json:"order_id"`
	ProductID    lsID   `json:"product_id"`
	VariantID    lsID   `json:"variant_id"`
	UserName     string `json:"user_name"`
	UserEmail    string `json:"user_email"`
	Status       string `json:"status"`
	CardBrand    string `json:"card_brand"`
	CardLastFour string `json:"card_last_four"`
	Pause        *struct {
		Mode      string     `json:"mode"`
		ResumesAt *time.Time `json:"resumes_at"`
	} `json:"pause"`
	Cancelled   bool       `json:"cancelled"`
	TrialEndsAt *time.Time `json:"trial_ends_at"`
	RenewsAt    *time.Time `json:"renews_at"`
	EndsAt      *time.Time `json:"ends_at"`
	CreatedAt   *time.Time `json:"created_at"`
	UpdatedAt   *time.Time `json:"updated_at"`
	TestMode    bool       `json:"test_mode"`
	URLs        struct {
		CustomerPortal string `json:"customer_portal"`
	} `json:"urls"`
}

// subscriptionOf maps a "subscriptions" resource to a prikke.Subscription
// (OrganizationID and SyncedAt are the service's), or says what is wrong
// with it. A status Prikke does not know is kept: it grants Free.
func subscriptionOf(r resource) (*prikke.Subscription, error) {
	if r.Type != "subscriptions" {
		return nil, fmt.Errorf("data.type is %q, want \"subscriptions\"", r.Type)
	}
	if r.ID == "" {
		return nil, errors.New("data.id is missing")
	}
	var a subscriptionAttributes
	if err := strictAttributes(r.Attributes, &a); err != nil {
		return nil, err
	}
	switch {
	case a.StoreID == "":
		return nil, errors.New("data.attributes.store_id is missing")
	case a.VariantID == "":
		return nil, errors.New("data.attributes.variant_id is missing")
	case a.Status == "":
		return nil, errors.New("data.attributes.status is missing")
	case a.CreatedAt == nil:
		return nil, errors.New("data.attributes.created_at is missing")
	case a.UpdatedAt == nil:
		return nil, errors.New("data.attributes.updated_at is missing")
	}
	s := &prikke.Subscription{
		ID:            string(r.ID),
		StoreID:       string(a.StoreID),
		CustomerID:    string(a.CustomerID),
		OrderID:       string(a.OrderID),
		ProductID:     string(a.ProductID),
		VariantID:     string(a.VariantID),
		Status:        prikke.SubscriptionStatus(a.Status),
		CustomerEmail: a.UserEmail,
		CustomerName:  a.UserName,
		CardBrand:     a.CardBrand,
		CardLastFour:  a.CardLastFour,
		RenewsAt:      utc(a.RenewsAt),
		EndsAt:        utc(a.EndsAt),
		TrialEndsAt:   utc(a.TrialEndsAt),
		TestMode:      a.TestMode,
		CreatedAt:     a.CreatedAt.UTC(),
		UpdatedAt:     a.UpdatedAt.UTC(),
		PortalURL:     a.URLs.CustomerPortal,
	}
	if a.Pause != nil {
		s.PauseMode = a.Pause.Mode
	}
	return s, nil
}

// invoiceAttributes are the attributes of a "subscription-invoices"
// resource Prikke reads.
type invoiceAttributes struct {
	SubscriptionID lsID       `json:"subscription_id"`
	Status         string     `json:"status"`
	BillingReason  string     `json:"billing_reason"`
	TotalFormatted string     `json:"total_formatted"`
	CreatedAt      *time.Time `json:"created_at"`
	UpdatedAt      *time.Time `json:"updated_at"`
}

func invoiceOf(r resource) (*Invoice, error) {
	if r.Type != "subscription-invoices" {
		return nil, fmt.Errorf("data.type is %q, want \"subscription-invoices\"", r.Type)
	}
	if r.ID == "" {
		return nil, errors.New("data.id is missing")
	}
	var a invoiceAttributes
	if err := strictAttributes(r.Attributes, &a); err != nil {
		return nil, err
	}
	switch {
	case a.SubscriptionID == "":
		return nil, errors.New("data.attributes.subscription_id is missing")
	case a.Status == "":
		return nil, errors.New("data.attributes.status is missing")
	case a.UpdatedAt == nil:
		return nil, errors.New("data.attributes.updated_at is missing")
	}
	return &Invoice{
		ID:             string(r.ID),
		SubscriptionID: string(a.SubscriptionID),
		Status:         a.Status,
		BillingReason:  a.BillingReason,
		Total:          a.TotalFormatted,
		UpdatedAt:      a.UpdatedAt.UTC(),
	}, nil
}

// strictAttributes decodes data.attributes, naming the field whose value
// has the wrong type. Unknown fields are fine: Lemon Squeezy adds some.
func strictAttributes(raw json.RawMessage, v any) error {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return errors.New("data.attributes is missing")
	}
	err := json.Unmarshal(raw, v)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Errorf("data.attributes.%s: %s is not a %s", te.Field, te.Value, te.Type)
	}
	// An id's or a time's own error does not say where it was: find the
	// attribute by decoding each alone.
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil {
		return fmt.Errorf("data.attributes: %v", err)
	}
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		one, _ := json.Marshal(map[string]json.RawMessage{name: fields[name]})
		if ferr := json.Unmarshal(one, reflect.New(reflect.TypeOf(v).Elem()).Interface()); ferr != nil {
			return fmt.Errorf("data.attributes.%s: %v", name, ferr)
		}
	}
	return fmt.Errorf("data.attributes: %v", err)
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
