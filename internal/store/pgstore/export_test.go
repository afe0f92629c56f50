package pgstore

// MigrateLockKey is the advisory lock a migration holds, for tests.
func (s *Store) MigrateLockKey() int64 { return s.lockKey("migrate") }
