package pgstore

import (
	"context"
	"fmt"

	"github.com/pressly/goose/v3"
)

// MigrateTo applies the migrations up to version, for tests of one.
func (s *Store) MigrateTo(ctx context.Context, version int64) error {
	return s.withMigrations(func(p *goose.Provider) error {
		if _, err := p.UpTo(ctx, version); err != nil {
			return fmt.Errorf("pgstore: migrate to %d: %w", version, err)
		}
		return nil
	})
}
