package scheduler

// PruneMonitorHistory runs the monitor part of a maintenance round, for tests.
var PruneMonitorHistory = (*Scheduler).pruneMonitorHistory

// PruneFlowKeys runs the flow key part of a maintenance round, for tests.
var PruneFlowKeys = (*Scheduler).pruneFlowKeys
