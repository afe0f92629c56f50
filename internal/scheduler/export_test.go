package scheduler

// PruneMonitorHistory runs the monitor part of a maintenance round, for tests.
var PruneMonitorHistory = (*Scheduler).pruneMonitorHistory
