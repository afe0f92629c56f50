package billingtest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke/internal/billing/billingtest"
)

func do(t *testing.T, s *billingtest.Server, method, path, key, accept, ctype, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Accept", accept)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

const jsonAPI = "application/vnd.api+json"

func TestFake(t *testing.T) {
	s := billingtest.New(t)
	checkout := `{"data":{"type":"checkouts","attributes":{"checkout_data":{"email":"a@example.com","name":"A","custom":{"organization_id":"org-1"}},"product_options":{"redirect_url":"http://x/back"}},"relationships":{"store":{"data":{"type":"stores","id":"11"}},"variant":{"data":{"type":"variants","id":"101"}}}}}`
	for _, c := range []struct {
		name, key, accept, ctype string
		want                     int
	}{
		{"no key", "", jsonAPI, jsonAPI, 401},
		{"wrong key", "nope", jsonAPI, jsonAPI, 401},
		{"plain json accept", billingtest.APIKey, "application/json", jsonAPI, 406},
		{"plain json body", billingtest.APIKey, jsonAPI, "application/json", 415},
		{"right", billingtest.APIKey, jsonAPI, jsonAPI, 201},
	} {
		code, body := do(t, s, "POST", "/v1/checkouts", c.key, c.accept, c.ctype, checkout)
		if code != c.want {
			t.Errorf("%s: got %d %s, want %d", c.name, code, body, c.want)
		}
		if code == 201 {
			var doc struct {
				Data struct {
					Attributes struct{ URL string } `json:"attributes"`
				} `json:"data"`
			}
			if err := json.Unmarshal([]byte(body), &doc); err != nil || doc.Data.Attributes.URL == "" {
				t.Fatalf("checkout answer %s: %v", body, err)
			}
			_, page := do(t, s, "GET", strings.TrimPrefix(doc.Data.Attributes.URL, s.URL), "", "text/html", "", "")
			if !strings.Contains(page, `id="custom-organization-id">org-1<`) || !strings.Contains(page, "a@example.com") {
				t.Errorf("checkout page lacks the organization or email: %s", page)
			}
		}
	}
	got := s.Checkouts()
	if len(got) != 1 || got[0].OrganizationID != "org-1" || got[0].Email != "a@example.com" || got[0].RedirectURL != "http://x/back" || got[0].VariantID != "101" {
		t.Errorf("checkouts = %+v", got)
	}

	if code, _ := do(t, s, "GET", "/v1/subscriptions/7", billingtest.APIKey, jsonAPI, "", ""); code != 404 {
		t.Errorf("unknown subscription: %d, want 404", code)
	}
	s.PutSubscription(billingtest.ProSubscription("7", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)))
	_, a := do(t, s, "GET", "/v1/subscriptions/7", billingtest.APIKey, jsonAPI, "", "")
	_, b := do(t, s, "GET", "/v1/subscriptions/7", billingtest.APIKey, jsonAPI, "", "")
	if a == b || !strings.Contains(a, `"customer_portal":"`+s.URL+`/portal/7`) || !strings.Contains(a, `"created_at":"2026-01-02T03:04:05.000000Z"`) {
		t.Errorf("subscription answers not fresh or not in shape:\n%s\n%s", a, b)
	}
	if s.PortalHits() != 2 {
		t.Errorf("PortalHits = %d, want 2", s.PortalHits())
	}
}

func TestSign(t *testing.T) {
	if got := billingtest.Sign("key", []byte("The quick brown fox jumps over the lazy dog")); got != "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8" {
		t.Errorf("Sign = %s", got)
	}
}
