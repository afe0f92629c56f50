package billing

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/prikke/prikke"
)

// ErrSignature is Verify's refusal.
var ErrSignature = errors.New("billing: the X-Signature header does not match the body")

// Verify checks signature (X-Signature: hex HMAC-SHA256 of body with
// secret) in constant time. An empty secret or signature fails.
//
// The signature is exactly the hex digest Lemon Squeezy sends: upper-case
// hex decodes to the same bytes and passes; a "sha256=" prefix (GitHub's
// style, not Lemon Squeezy's), spaces or any other decoration fail as
// malformed. The wrapped reason says which case it was, never the
// expected digest.
func Verify(secret string, body []byte, signature string) error {
	if secret == "" {
		return fmt.Errorf("%w (no signing secret is configured)", ErrSignature)
	}
	if signature == "" {
		return fmt.Errorf("%w (the header is missing)", ErrSignature)
	}
	got, err := hex.DecodeString(signature)
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("%w (the header is not a hex SHA-256 digest)", ErrSignature)
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	if !hmac.Equal(got, m.Sum(nil)) {
		return ErrSignature
	}
	return nil
}

// Parse parses a (verified) webhook body. A body that is not a webhook
// delivery is an error naming what is wrong; an event Prikke does not act
// on parses with neither Subscription nor Invoice set.
//
// Errors are prikke EINVALID errors: the webhook answers them 400 and the
// message shows in Lemon Squeezy's delivery log.
func Parse(body []byte) (*Event, error) {
	sum := sha256.Sum256(body)
	ev := &Event{Hash: hex.EncodeToString(sum[:])}
	var d struct {
		Meta *struct {
			EventName  string          `json:"event_name"`
			TestMode   bool            `json:"test_mode"`
			CustomData json.RawMessage `json:"custom_data"`
		} `json:"meta"`
		Data json.RawMessage `json:"data"`
	}
	if !json.Valid(body) {
		return nil, invalid("the body is not JSON")
	}
	if err := json.Unmarshal(body, &d); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return nil, invalid("%s: %s is not a %s", te.Field, te.Value, te.Type)
		}
		return nil, invalid("the body is not a JSON object")
	}
	if d.Meta == nil {
		return nil, invalid("meta is missing")
	}
	if d.Meta.EventName == "" {
		return nil, invalid("meta.event_name is missing")
	}
	ev.Name, ev.TestMode = d.Meta.EventName, d.Meta.TestMode
	ev.OrganizationID = organizationID(d.Meta.CustomData)
	if !slices.Contains(Events, ev.Name) {
		return ev, nil // acknowledged, ignored
	}
	if len(d.Data) == 0 || string(d.Data) == "null" {
		return nil, invalid("%s: data is missing", ev.Name)
	}
	var r resource
	if err := json.Unmarshal(d.Data, &r); err != nil {
		return nil, invalid("%s: data is not a JSON:API resource object", ev.Name)
	}
	var err error
	if slices.Contains(PaymentEvents, ev.Name) {
		ev.Invoice, err = invoiceOf(r)
	} else {
		ev.Subscription, err = subscriptionOf(r)
	}
	if err != nil {
		return nil, invalid("%s: %v", ev.Name, err)
	}
	return ev, nil
}

// organizationID reads custom_data.organization_id. Custom data is what the
// buyer's checkout link carried, so anything but a string there (or no
// object at all: an empty one can arrive as []) means none; the
// subscription is then kept unclaimed rather than refused.
func organizationID(raw json.RawMessage) string {
	if len(bytes.TrimSpace(raw)) == 0 {
		return ""
	}
	var custom map[string]json.RawMessage
	if json.Unmarshal(raw, &custom) != nil {
		return ""
	}
	var s string
	if json.Unmarshal(custom["organization_id"], &s) != nil {
		return ""
	}
	return s
}

func invalid(format string, args ...any) error {
	return prikke.Errorf(prikke.EINVALID, "Not a Lemon Squeezy webhook delivery: "+format+".", args...)
}
