package pgstore_test

import (
	"testing"

	"github.com/prikke/prikke/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Exercise(t, storetest.OpenPostgres)
}

func BenchmarkPingsRecord(b *testing.B) { storetest.BenchmarkPingsRecord(b, storetest.OpenPostgres) }

func BenchmarkWorkflowHandOff(b *testing.B) {
	storetest.BenchmarkWorkflowHandOff(b, storetest.OpenPostgres)
}
