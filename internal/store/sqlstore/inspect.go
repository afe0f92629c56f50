package sqlstore

import (
	"context"
	"errors"

	"github.com/prikke/prikke"
)

// STUB: the contract for issue 18; h-exstore replaces this file.

// ExecutionReplay implements store.Store.
func (r *Records) ExecutionReplay(ctx context.Context, es []*prikke.Execution) error {
	return errStubInspect
}

var errStubInspect = errors.New("sqlstore: not implemented yet")
