package prikke

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Error codes. Each maps to exactly one HTTP status, for the API and the
// dashboard alike (internal/httpserver's ProblemOf).
const (
	ECONFLICT     = "conflict"     // the thing already exists, or changed under us
	EINTERNAL     = "internal"     // a bug or an outage; never shown in detail to users
	EINVALID      = "invalid"      // the request names something impossible
	ENOTFOUND     = "not_found"    // does not exist, or belongs to another tenant
	EUNAUTHORIZED = "unauthorized" // no valid credentials
	EFORBIDDEN    = "forbidden"    // valid credentials, not enough rights
	ELIMIT        = "limit"        // a tier limit or quota was reached
	ERATELIMIT    = "rate_limited" // too many attempts; retry later
	EUNAVAILABLE  = "unavailable"  // the store cannot be reached right now
	ETOOLARGE     = "too_large"    // a field or body exceeds its size limit
)

// FieldError names one invalid input field and says how to fix it.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is an application error: a code for machines and a message for
// humans. Fields lists per-field problems for validation errors.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
}

// Error implements error.
func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("prikke: code=%s message=%s", e.Code, e.Message)
	}
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return fmt.Sprintf("prikke: code=%s message=%s fields=[%s]", e.Code, e.Message, strings.Join(parts, "; "))
}

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the human message of the first *Error in err's chain,
// or "Internal error." for anything else, so causes never leak to users.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// ErrorFields returns the field errors of the first *Error in err's chain.
func ErrorFields(err error) []FieldError {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// Validation collects field errors and turns them into one EINVALID error.
type Validation struct {
	fields []FieldError
}

// Add records a problem with field.
func (v *Validation) Add(field, format string, args ...any) {
	v.fields = append(v.fields, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Has reports whether field already has a problem recorded.
func (v *Validation) Has(field string) bool {
	for _, f := range v.fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

// Err returns nil when nothing was recorded, otherwise an EINVALID *Error
// whose message joins the field problems.
func (v *Validation) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	parts := make([]string, len(v.fields))
	for i, f := range v.fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return &Error{Code: EINVALID, Message: strings.Join(parts, "; "), Fields: v.fields}
}

// InvalidField returns an EINVALID error for one field.
func InvalidField(field, format string, args ...any) error {
	var v Validation
	v.Add(field, format, args...)
	return v.Err()
}

// RateLimitError is an ERATELIMIT error that says when to retry: the
// HTTP surfaces answer 429 with Retry-After.
type RateLimitError struct{ RetryAfter time.Duration }

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("Too many attempts. Try again in %s.", humanDuration(e.RetryAfter))
}

// Unwrap makes it an ERATELIMIT *prikke.Error.
func (e *RateLimitError) Unwrap() error { return Errorf(ERATELIMIT, "%s", e.Error()) }

func humanDuration(d time.Duration) string {
	switch {
	case d >= time.Hour:
		return fmt.Sprintf("%d hours", int(d.Hours()+0.99))
	case d >= time.Minute:
		return fmt.Sprintf("%d minutes", int(d.Minutes()+0.99))
	}
	return fmt.Sprintf("%d seconds", int(d.Seconds()+0.99))
}
