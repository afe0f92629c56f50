package sqlitestore

import (
	"context"
	"fmt"
)

// MigrateTo applies the migrations up to version, for tests of one.
func (s *Store) MigrateTo(ctx context.Context, version int64) error {
	p, err := s.provider()
	if err != nil {
		return err
	}
	if _, err := p.UpTo(ctx, version); err != nil {
		return fmt.Errorf("sqlitestore: migrate to %d: %w", version, err)
	}
	return nil
}
