package sqlstore

import "github.com/prikke/prikke"

// InsertJobSQL is the statement InsertJob runs for a job (without its
// channel list), with InsertJobArgs its arguments: for a store that
// prepares it once for many jobs (QueueEnqueueBatch).
const InsertJobSQL = insertJobSQL

// InsertJobArgs are InsertJobSQL's arguments for j.
func InsertJobArgs(d Dialect, j *prikke.Job) []any { return insertJobArgs(d, j) }

// InsertJobColumns are InsertJobSQL's columns, in InsertJobArgs' order.
var InsertJobColumns = insertJobColumns

// AlertPolicyValue is the value jobs.alert_policy stores for p, to be
// encoded as JSON.
func AlertPolicyValue(p prikke.AlertPolicy) any { return policyOf(p) }
