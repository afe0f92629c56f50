package billing

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/prikke/prikke"
)

// mediaType is JSON:API's; Lemon Squeezy's API asks for it both ways.
const mediaType = "application/vnd.api+json"

// maxResponse bounds what the client reads of an API answer.
const maxResponse = 1 << 20

// Client calls Lemon Squeezy's API. It is safe for concurrent use.
type Client struct {
	cfg Config
}

// New returns a client. Requests go only to cfg.APIURL (the operator's
// setting, DefaultAPIURL when empty); the default HTTP client follows no
// redirects, so the API key is never sent anywhere else.
func New(cfg Config) *Client {
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	cfg.APIURL = strings.TrimRight(cfg.APIURL, "/")
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{
			Timeout: DefaultTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		}
	}
	return &Client{cfg: cfg}
}

// APIError is an answer of Lemon Squeezy's API other than the success the
// call expects: its status and the details of its JSON:API errors.
type APIError struct {
	Method, Path string
	Status       int
	Detail       string // the errors' titles and details, or a note on the body
}

func (e *APIError) Error() string {
	return fmt.Sprintf("billing: lemon squeezy: %s %s: %d %s: %s", e.Method, e.Path, e.Status, http.StatusText(e.Status), e.Detail)
}

// CheckoutInput is what a checkout carries.
type CheckoutInput struct {
	OrganizationID prikke.ID // custom data organization_id
	Email          string    // the admin's email, prefilled
	Name           string
	RedirectURL    string // where the buyer goes after paying
}

// Checkout creates a checkout for the Pro variant (POST /v1/checkouts)
// and returns its URL.
func (c *Client) Checkout(ctx context.Context, in CheckoutInput) (string, error) {
	if in.OrganizationID == (prikke.ID{}) {
		return "", errors.New("billing: checkout: no organization id for the custom data")
	}
	type ref struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	}
	type rel struct {
		Data ref `json:"data"`
	}
	var req struct {
		Data struct {
			Type       string `json:"type"`
			Attributes struct {
				CheckoutData struct {
					Email  string            `json:"email,omitempty"`
					Name   string            `json:"name,omitempty"`
					Custom map[string]string `json:"custom"`
				} `json:"checkout_data"`
				ProductOptions struct {
					RedirectURL string `json:"redirect_url,omitempty"`
				} `json:"product_options"`
			} `json:"attributes"`
			Relationships struct {
				Store   rel `json:"store"`
				Variant rel `json:"variant"`
			} `json:"relationships"`
		} `json:"data"`
	}
	req.Data.Type = "checkouts"
	req.Data.Attributes.CheckoutData.Email = in.Email
	req.Data.Attributes.CheckoutData.Name = in.Name
	req.Data.Attributes.CheckoutData.Custom = map[string]string{"organization_id": in.OrganizationID.String()}
	req.Data.Attributes.ProductOptions.RedirectURL = in.RedirectURL
	req.Data.Relationships.Store.Data = ref{"stores", c.cfg.StoreID}
	req.Data.Relationships.Variant.Data = ref{"variants", c.cfg.ProVariantID}

	var doc struct {
		Data *struct {
			Type       string `json:"type"`
			Attributes struct {
				URL string `json:"url"`
			} `json:"attributes"`
		} `json:"data"`
	}
	const path = "/v1/checkouts"
	if err := c.do(ctx, http.MethodPost, path, req, http.StatusCreated, &doc); err != nil {
		return "", err
	}
	switch {
	case doc.Data == nil:
		return "", fmt.Errorf("billing: lemon squeezy: POST %s: the answer has no data", path)
	case doc.Data.Type != "checkouts":
		return "", fmt.Errorf("billing: lemon squeezy: POST %s: data.type is %q, want \"checkouts\"", path, doc.Data.Type)
	}
	u, ok := c.browserURL(doc.Data.Attributes.URL)
	if !ok {
		return "", fmt.Errorf("billing: lemon squeezy: POST %s: data.attributes.url is not an http(s) URL Prikke may redirect to (https; http only from an http API): %q", path, doc.Data.Attributes.URL)
	}
	return u, nil
}

// browserURL checks a URL the API gives for the browser (a checkout, the
// customer portal), which Prikke redirects to: absolute https with a host
// and no user info; http only from an API on plain http itself (a
// development or test fake on loopback). Anything else would make
// Prikke's redirect an open one, or send a buyer over plain http.
func (c *Client) browserURL(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Opaque != "" {
		return "", false
	}
	if u.Scheme != "https" && (u.Scheme != "http" || !strings.HasPrefix(c.cfg.APIURL, "http://")) {
		return "", false
	}
	return u.String(), true
}

// Subscription fetches a subscription (GET /v1/subscriptions/{id}), with
// a fresh PortalURL. ENOTFOUND when Lemon Squeezy does not know it.
// Lemon Squeezy's API does not return a checkout's custom data, so
// OrganizationID is always nil: the stored copy knows it.
func (c *Client) Subscription(ctx context.Context, id string) (*prikke.Subscription, error) {
	if id == "" {
		return nil, errors.New("billing: subscription: no id")
	}
	path := "/v1/subscriptions/" + url.PathEscape(id)
	var doc struct {
		Data *resource `json:"data"`
	}
	err := c.do(ctx, http.MethodGet, path, nil, http.StatusOK, &doc)
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound {
		return nil, prikke.Errorf(prikke.ENOTFOUND, "Lemon Squeezy has no subscription %s.", id)
	}
	if err != nil {
		return nil, err
	}
	if doc.Data == nil {
		return nil, fmt.Errorf("billing: lemon squeezy: GET %s: the answer has no data", path)
	}
	sub, err := subscriptionOf(*doc.Data)
	if err != nil {
		return nil, fmt.Errorf("billing: lemon squeezy: GET %s: %w", path, err)
	}
	if sub.ID != id {
		return nil, fmt.Errorf("billing: lemon squeezy: GET %s: the answer is subscription %s", path, sub.ID)
	}
	// A portal URL Prikke would not redirect to is dropped (the service
	// then reports it has none); the rest of the subscription stands.
	sub.PortalURL, _ = c.browserURL(sub.PortalURL)
	return sub, nil
}

// do sends one JSON:API request and decodes the answer into out when its
// status is want; any other status is an *APIError. Neither the API key
// nor the request's headers appear in any error.
func (c *Client) do(ctx context.Context, method, path string, in any, want int, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("billing: %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.cfg.APIURL+path, body)
	if err != nil {
		return fmt.Errorf("billing: %s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", mediaType)
	if in != nil {
		req.Header.Set("Content-Type", mediaType)
	}
	req.Header.Set("Authorization", "Bearer "+c.cfg.APIKey)
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		// *url.Error names the URL (the operator's API URL, no secret).
		return fmt.Errorf("billing: lemon squeezy: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return fmt.Errorf("billing: lemon squeezy: %s %s: reading the answer: %w", method, path, err)
	}
	if len(raw) > maxResponse {
		return &APIError{method, path, resp.StatusCode, "the answer is larger than 1 MiB"}
	}
	if resp.StatusCode != want {
		return &APIError{method, path, resp.StatusCode, errorDetail(raw)}
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("billing: lemon squeezy: %s %s: the answer is not JSON: %w", method, path, err)
	}
	return nil
}

// errorDetail reads a JSON:API error document's titles and details, or
// says what the body was instead.
func errorDetail(raw []byte) string {
	var doc struct {
		Errors []struct {
			Title  string `json:"title"`
			Detail string `json:"detail"`
			Source struct {
				Pointer string `json:"pointer"`
			} `json:"source"`
		} `json:"errors"`
	}
	if json.Unmarshal(raw, &doc) != nil || len(doc.Errors) == 0 {
		if len(bytes.TrimSpace(raw)) == 0 {
			return "an empty answer"
		}
		return "an answer that is not a JSON:API error document"
	}
	var parts []string
	for _, e := range doc.Errors {
		p := e.Detail
		if p == "" {
			p = e.Title
		}
		if e.Source.Pointer != "" {
			p += " (" + e.Source.Pointer + ")"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "; ")
}
