// Package monitor is the state machine of cron monitors: how a monitor
// moves on each ping (start, success, fail, log, exit status) and at each
// deadline (a missing ping after its grace time, a run past its maximum
// run time, a re-alert, the end of a snooze or maintenance window), and the
// alert policy (thresholds, re-alerts, snooze, windows) that monitors and
// jobs share.
//
// It follows Healthchecks' model: a monitor is due at its last success
// plus its period (or at the next fire of its cron expression), late after
// that, and down once the grace time has passed too. Unlike Healthchecks,
// which sweeps every monitor each minute, every step here ends by setting
// the monitor's DeadlineAt, the next instant anything can change without a
// ping, so the scheduler acts on each monitor exactly then.
//
// The package is pure: no I/O, no clock (the time of a step is a
// parameter), and no mutable globals but two caches safe for concurrent
// use (loaded time zones, parsed cron expressions), since the store runs
// steps on many goroutines at once. The store runs a step inside the
// transaction that writes the monitor with the ping and the flips the step
// returns.
package monitor
