package pgstore

import (
	"slices"
	"strings"
	"testing"

	"github.com/prikke/prikke/internal/store/sqlstore"
)

// The enqueue writes its jobs from typed arrays of its own (jobRows: the
// generic []any rows measured 4× the CPU an item), so it must name every
// column a job's insert names but the workflow's, which a queue job has
// not: a column added to jobs' insert fails here until jobRows writes it.
func TestJobRowsColumns(t *testing.T) {
	var got []string
	for c := range strings.SplitSeq(jobRowsColumns, ",") {
		got = append(got, strings.TrimSpace(c))
	}
	want := slices.DeleteFunc(slices.Clone(sqlstore.InsertJobColumns), func(c string) bool {
		return c == "workflow_id" || c == "run_id" || c == "step"
	})
	if !slices.Equal(got, want) {
		t.Errorf("jobRows writes %v;\nthe jobs insert has %v", got, want)
	}
	if n := strings.Count(jobRowsArrays, "$"); n != len(got) || len((&jobRows{}).args()) != len(got) {
		t.Errorf("%d columns, %d array parameters, %d arrays", len(got), n, len((&jobRows{}).args()))
	}
}
