package sqlitestore_test

import (
	"testing"

	"github.com/prikke/prikke/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Exercise(t, storetest.OpenSQLite)
}

func BenchmarkPingsRecord(b *testing.B) { storetest.BenchmarkPingsRecord(b, storetest.OpenSQLite) }

func BenchmarkWorkflowHandOff(b *testing.B) {
	storetest.BenchmarkWorkflowHandOff(b, storetest.OpenSQLite)
}
