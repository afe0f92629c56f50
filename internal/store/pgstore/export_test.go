package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/stdlib"
)

// MigrateTo applies the migrations up to version, for tests of one.
func (s *Store) MigrateTo(ctx context.Context, version int64) error {
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	p, err := s.provider(db)
	if err != nil {
		return err
	}
	if _, err := p.UpTo(ctx, version); err != nil {
		return fmt.Errorf("pgstore: migrate to %d: %w", version, err)
	}
	return nil
}
