package prikke

import "github.com/google/uuid"

// ID identifies every stored entity. IDs are UUIDv7: time-ordered for index
// locality, with 74 random bits so they cannot be guessed or enumerated.
type ID = uuid.UUID

// NilID is the zero ID.
var NilID = uuid.Nil

// NewID returns a new random, time-ordered ID.
func NewID() ID { return uuid.Must(uuid.NewV7()) }

// ParseID parses s; a malformed id is reported as not found, because to a
// caller it names nothing that exists.
func ParseID(s string) (ID, error) {
	id, err := uuid.Parse(s)
	if err != nil || len(s) != 36 {
		return NilID, Errorf(ENOTFOUND, "Not found.")
	}
	return id, nil
}
