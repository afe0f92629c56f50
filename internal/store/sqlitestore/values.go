package sqlitestore

import (
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"

	"github.com/prikke/prikke"
)

// ts converts a time to the stored form: Unix microseconds, UTC.
func ts(t time.Time) int64 { return t.UTC().UnixMicro() }

// tsp converts an optional time; nil is NULL.
func tsp(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC().UnixMicro()
}

func fromTS(v int64) time.Time { return time.UnixMicro(v).UTC() }

// timeScan scans a stored time (NULL gives the zero time).
type timeScan struct{ t *time.Time }

func (s timeScan) Scan(v any) error {
	switch x := v.(type) {
	case int64:
		*s.t = fromTS(x)
	case nil:
		*s.t = time.Time{}
	default:
		return fmt.Errorf("sqlitestore: scan time from %T", v)
	}
	return nil
}

// timePtrScan scans an optional stored time (NULL gives nil).
type timePtrScan struct{ t **time.Time }

func (s timePtrScan) Scan(v any) error {
	switch x := v.(type) {
	case int64:
		t := fromTS(x)
		*s.t = &t
	case nil:
		*s.t = nil
	default:
		return fmt.Errorf("sqlitestore: scan time from %T", v)
	}
	return nil
}

// idPtrScan scans an optional ID (NULL gives nil).
type idPtrScan struct{ p **prikke.ID }

func (s idPtrScan) Scan(v any) error {
	if v == nil {
		*s.p = nil
		return nil
	}
	var id prikke.ID
	if err := id.Scan(v); err != nil {
		return err
	}
	*s.p = &id
	return nil
}

// stringPtrScan scans optional text (NULL gives nil).
type stringPtrScan struct{ p **string }

func (s stringPtrScan) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*s.p = nil
	case string:
		*s.p = &x
	case []byte:
		t := string(x)
		*s.p = &t
	default:
		return fmt.Errorf("sqlitestore: scan text from %T", v)
	}
	return nil
}

// idp converts an optional ID; nil is NULL.
func idp(id *prikke.ID) any {
	if id == nil {
		return nil
	}
	return id.String()
}

// jsonScan decodes a JSON text column into v (NULL or empty leaves v).
type jsonScan struct{ v any }

func (s jsonScan) Scan(src any) error {
	var b []byte
	switch x := src.(type) {
	case nil:
		return nil
	case string:
		b = []byte(x)
	case []byte:
		b = x
	default:
		return fmt.Errorf("sqlitestore: scan json from %T", src)
	}
	if len(b) == 0 {
		return nil
	}
	return json.Unmarshal(b, s.v)
}

// jsonValue encodes v as JSON text for a column.
type jsonValue struct{ v any }

func (j jsonValue) Value() (driver.Value, error) {
	b, err := json.Marshal(j.v)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

var (
	_ sql.Scanner   = timeScan{}
	_ driver.Valuer = jsonValue{}
)
