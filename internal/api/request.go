package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// MaxBodyBytes bounds a request body.
const MaxBodyBytes = 1 << 20

// checkRequest refuses, before an operation runs, a query string that is
// not correctly percent-encoded (400: huma would silently read such a
// parameter as absent), a body that is not application/json (415), and a
// body over MaxBodyBytes (413). It runs after authenticate, so an
// unauthenticated caller cannot make the server buffer a body.
func (a *API) checkRequest(ctx huma.Context, next func(huma.Context)) {
	r, _ := humago.Unwrap(ctx)
	if err := checkQuery(r.URL.RawQuery); err != nil {
		a.writeError(ctx, err)
		return
	}
	if rb := ctx.Operation().RequestBody; rb != nil {
		var b []byte
		var err error
		if r.Body != nil && r.Body != http.NoBody {
			b, err = io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
		}
		switch {
		case len(b) == 0 && err == nil && rb.Required:
			a.writeError(ctx, huma.Error400BadRequest("The request body is required: send a JSON object."))
			return
		case err != nil:
			a.writeError(ctx, huma.Error400BadRequest("The request body could not be read; send it again."))
			return
		case len(b) > MaxBodyBytes:
			a.writeError(ctx, huma.NewError(http.StatusRequestEntityTooLarge,
				"The request body is too large: max 1 MiB (1048576 bytes). Send less data, for example a link to it instead of the data itself."))
			return
		case len(b) > 0 && !isJSON(r.Header.Get("Content-Type")):
			a.writeError(ctx, huma.NewError(http.StatusUnsupportedMediaType,
				"Send the body as JSON with `Content-Type: application/json`."))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	next(ctx)
}

// isJSON reports whether a Content-Type is JSON; an absent one counts as
// JSON, the API's only body format.
func isJSON(ct string) bool {
	if ct == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/json"
}

// checkQuery returns a 400 naming the first parameter whose name or value
// is not correctly percent-encoded.
func checkQuery(raw string) error {
	for pair := range strings.SplitSeq(raw, "&") {
		k, v, _ := strings.Cut(pair, "=")
		name, err1 := url.QueryUnescape(k)
		_, err2 := url.QueryUnescape(v)
		if err1 == nil && err2 == nil {
			continue
		}
		if err1 != nil || name == "" {
			name = "?"
		}
		return huma.Error400BadRequest("The query string is not correctly percent-encoded.",
			&huma.ErrorDetail{Location: "query." + name, Message: "is not correctly percent-encoded: write % as %25 and escape reserved characters (use your HTTP library's URL encoding)"})
	}
	return nil
}

// bodyInput is embedded in inputs of operations that take a JSON body:
// the raw bytes (at most MaxBodyBytes, JSON by content type: see
// checkRequest), decoded strictly by decode.
type bodyInput struct {
	RawBody []byte
}

// typeMessages give a field's fix when its JSON has the wrong type.
var typeMessages = map[string]string{
	"timeout_ms":              "must be an integer between 1000 and 30000",
	"retry_attempts":          "must be an integer between 0 and 10",
	"catch_up_window_seconds": "must be an integer between 60 and 604800",
	"alert_after":             "must be an integer between 1 and 100",
	"delay":                   "must be a whole number of seconds",
	"enabled":                 "must be true or false",
	"headers":                 `must be an object of header names to values, like {"Authorization": "Bearer x"}`,
	"rate":                    "must be an integer from 1 to 100000 (requests per period)",
	"burst":                   "must be an integer from 1 to 10000",
	"parallelism":             "must be an integer from 1 to 10000 (requests in flight at once)",
	"flow_key":                `must be a string, such as "billing-api"`,
}

// decode parses a JSON request body into dst, strictly. The syntax is
// checked first, on its own, so that a body that is not JSON (bad syntax,
// invalid UTF-8, nesting deeper than the parser's limit of 10 000) is a 400
// whatever its shape, and only well-formed JSON meets the type checks.
func decode(in *bodyInput, dst any) error {
	if len(in.RawBody) == 0 {
		return huma.Error400BadRequest("The request body is required: send a JSON object.")
	}
	if err := checkSyntax(in.RawBody); err != nil {
		return err
	}
	err := json.Unmarshal(in.RawBody, dst, json.RejectUnknownMembers(true))
	if err == nil {
		return nil
	}
	var serr *json.SemanticError
	var synErr *jsontext.SyntacticError
	switch {
	case errors.As(err, &synErr):
		return syntaxError(synErr)
	case errors.Is(err, json.ErrUnknownName) && errors.As(err, &serr):
		return huma.Error422UnprocessableEntity("The request has an unknown field.",
			&huma.ErrorDetail{Location: pointerLocation(serr.JSONPointer), Message: fmt.Sprintf("unknown field %q: remove it (field names are lower case, see /docs/api)", serr.JSONPointer.LastToken())})
	case errors.As(err, &serr):
		field := strings.TrimPrefix(string(serr.JSONPointer), "/")
		top, _, _ := strings.Cut(field, "/")
		msg := typeMessages[top]
		if msg == "" {
			msg = "has the wrong type"
			if serr.GoType != nil {
				msg = "must be " + typeName(serr.GoType)
			}
		}
		return huma.Error422UnprocessableEntity("A field has the wrong type.",
			&huma.ErrorDetail{Location: pointerLocation(serr.JSONPointer), Message: msg})
	}
	return huma.Error400BadRequest("The request body is not valid JSON.")
}

// checkSyntax checks that b is exactly one well-formed JSON value with
// unique object member names.
func checkSyntax(b []byte) error {
	d := jsontext.NewDecoder(bytes.NewReader(b))
	_, err := d.ReadValue()
	if err == nil {
		if _, err = d.ReadToken(); err == io.EOF {
			return nil
		}
	}
	var synErr *jsontext.SyntacticError
	if errors.As(err, &synErr) {
		return syntaxError(synErr)
	}
	return huma.Error400BadRequest("The request body is not valid JSON: send one JSON object.")
}

// syntaxError turns a syntax error into a 400, or a 422 for a duplicate
// key (the JSON is well-formed, but the request is ambiguous).
func syntaxError(e *jsontext.SyntacticError) error {
	if errors.Is(e, jsontext.ErrDuplicateName) {
		return huma.Error422UnprocessableEntity("The request has a duplicate key.",
			&huma.ErrorDetail{Location: pointerLocation(e.JSONPointer), Message: fmt.Sprintf("duplicate key %q: give each field once", e.JSONPointer.LastToken())})
	}
	reason := strings.TrimPrefix(e.Err.Error(), "jsontext: ")
	msg := "is not valid JSON: " + reason
	switch {
	case strings.Contains(reason, "UTF-8"):
		reason, msg = "invalid UTF-8", "is not valid UTF-8: send UTF-8 text"
	case strings.Contains(reason, "max depth"):
		reason, msg = "nested deeper than 10000 levels", ""
	}
	detail := fmt.Sprintf("The request body is not valid JSON at byte %d: %s. Send one JSON object.", e.ByteOffset, reason)
	if e.JSONPointer == "" || msg == "" || len(e.JSONPointer) > 200 {
		return huma.Error400BadRequest(detail)
	}
	return huma.Error400BadRequest(detail, &huma.ErrorDetail{Location: pointerLocation(e.JSONPointer), Message: msg})
}

// pointerLocation turns a JSON pointer into huma's location form.
func pointerLocation(p jsontext.Pointer) string {
	loc := "body"
	for tok := range p.Tokens() {
		if _, err := strconv.Atoi(tok); err == nil {
			loc += "[" + tok + "]"
		} else {
			loc += "." + tok
		}
	}
	return loc
}

func typeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "an integer"
	case reflect.Slice:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a " + t.Kind().String()
}

// bodyOnly is the input of operations that take only a JSON body.
type bodyOnly struct{ bodyInput }
