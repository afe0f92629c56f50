// Package store declares the one seam with two real implementations:
// sqlitestore (the embedded default) and pgstore (clusters). Both pass the
// conformance suite in storetest. Their records are written once, in
// sqlstore, over a small dialect shim per store; their engine (claim,
// complete, rescue, occurrences, leader, listen) is written by hand in each
// store's dialect. Methods are named Noun+Verb; they return
// domain types and translate driver errors at the edge: no rows becomes
// prikke.ENOTFOUND, a unique violation prikke.ECONFLICT, and no method
// returns nil, nil.
//
// Times go in and come out in UTC. Where a method takes `now`, it is the
// caller's clock for tests; engine methods that decide what is due use the
// database clock when now is the zero time, so that the nodes of a cluster
// agree whatever their own clocks say.
package store

import (
	"context"
	"fmt"
	"time"

	"github.com/prikke/prikke"
)

// Store is everything Prikke keeps.
type Store interface {
	// Dialect is "sqlite" or "postgres", for logs and benchmark output.
	Dialect() string
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// Now returns the database clock.
	Now(ctx context.Context) (time.Time, error)
	// Close releases the store's connections and locks.
	Close() error

	// Subscribe returns a subscription to wake-up events published by this
	// store's writes on any node (PostgreSQL LISTEN/NOTIFY; in-process on
	// SQLite). Events may be coalesced; they are hints, never the truth.
	Subscribe(topics ...Topic) *Subscription
	// Publish sends an event to every subscriber on every node.
	Publish(ctx context.Context, topic Topic, payload string) error

	// SettingGet returns a stored setting, or ENOTFOUND.
	SettingGet(ctx context.Context, key string) (string, error)
	// SettingPutIfAbsent stores value unless key exists, and returns the
	// value that is stored afterwards (the existing one wins).
	SettingPutIfAbsent(ctx context.Context, key, value string) (string, error)

	AccountStore
	JobStore
	EngineStore
	FlowStore
	NotifyStore
	StatusStore
	MonitorStore
	WorkflowStore
	BillingStore
	OperatorStore
}

// AccountStore keeps users, sessions, organizations, projects and API keys.
type AccountStore interface {
	// SignupCreate creates, in one transaction, a user, their personal
	// organization with them as owner, and a default project. ECONFLICT if
	// the email is taken.
	SignupCreate(ctx context.Context, p *SignupParams) error
	UserGet(ctx context.Context, id prikke.ID) (*prikke.User, error)
	UserGetByEmail(ctx context.Context, email string) (*prikke.User, error)
	// UserUpdate writes email, password hash and confirmation.
	UserUpdate(ctx context.Context, u *prikke.User) error
	// UserSetTimeZone sets only the user's time zone (and updated_at), so a
	// concurrent change of password or email is not written back over.
	// ENOTFOUND if there is no such user.
	UserSetTimeZone(ctx context.Context, id prikke.ID, zone string, now time.Time) error
	// UserDelete deletes the user, their sessions and memberships, and every
	// organization in which they were the only owner (with its projects,
	// jobs and history).
	UserDelete(ctx context.Context, id prikke.ID) error

	TokenCreate(ctx context.Context, t *prikke.Token) error
	// TokenGetByHash returns an unexpired token of that kind, or ENOTFOUND.
	TokenGetByHash(ctx context.Context, kind prikke.TokenKind, hash []byte, now time.Time) (*prikke.Token, error)
	TokenTouch(ctx context.Context, id prikke.ID, now time.Time) error
	TokenDelete(ctx context.Context, id prikke.ID) error
	// TokenDeleteByUser deletes the user's tokens of the given kinds, except
	// the one with id except (NilID for none), and returns how many.
	TokenDeleteByUser(ctx context.Context, userID prikke.ID, kinds []prikke.TokenKind, except prikke.ID) (int, error)
	TokenListByUser(ctx context.Context, userID prikke.ID, kind prikke.TokenKind) ([]*prikke.Token, error)
	TokenDeleteExpired(ctx context.Context, now time.Time) (int, error)

	// OrganizationCreate creates an organization with owner as its owner.
	OrganizationCreate(ctx context.Context, o *prikke.Organization, owner prikke.ID) error
	OrganizationGet(ctx context.Context, id prikke.ID) (*prikke.Organization, error)
	// OrganizationUpdate writes name and tier.
	OrganizationUpdate(ctx context.Context, o *prikke.Organization) error
	OrganizationDelete(ctx context.Context, id prikke.ID) error
	// OrganizationGetPersonal returns the personal organization of a user.
	OrganizationGetPersonal(ctx context.Context, userID prikke.ID) (*prikke.Organization, error)

	MembershipCreate(ctx context.Context, m *prikke.Membership) error
	MembershipGet(ctx context.Context, orgID, userID prikke.ID) (*prikke.Membership, error)
	// MembershipListByOrganization fills UserEmail.
	MembershipListByOrganization(ctx context.Context, orgID prikke.ID) ([]*prikke.Membership, error)
	// MembershipListByUser fills OrganizationName and OrganizationTier.
	MembershipListByUser(ctx context.Context, userID prikke.ID) ([]*prikke.Membership, error)
	MembershipUpdateRole(ctx context.Context, orgID, userID prikke.ID, role prikke.Role) error
	MembershipDelete(ctx context.Context, orgID, userID prikke.ID) error

	InvitationCreate(ctx context.Context, inv *prikke.Invitation) error
	InvitationGet(ctx context.Context, id prikke.ID) (*prikke.Invitation, error)
	// InvitationGetByTokenHash fills OrganizationName.
	InvitationGetByTokenHash(ctx context.Context, hash []byte) (*prikke.Invitation, error)
	InvitationListByOrganization(ctx context.Context, orgID prikke.ID) ([]*prikke.Invitation, error)
	// InvitationAccept marks the invitation accepted and creates the
	// membership in one transaction; ECONFLICT if it is no longer pending
	// or the user is already a member.
	InvitationAccept(ctx context.Context, id, userID prikke.ID, now time.Time) error
	InvitationDecline(ctx context.Context, id prikke.ID, now time.Time) error
	InvitationDelete(ctx context.Context, id prikke.ID) error

	// ProjectCreate stores a project; SigningSecret must be set.
	ProjectCreate(ctx context.Context, p *prikke.Project) error
	ProjectGet(ctx context.Context, id prikke.ID) (*prikke.Project, error)
	ProjectListByOrganization(ctx context.Context, orgID prikke.ID) ([]*prikke.Project, error)
	// ProjectUpdate writes name, alert_after, snooze_until, updated_at and
	// the secrets (the signing secret, the previous one and its expiry)
	// as p has them; never the ping key. It writes them all, so a caller
	// changing one reads the project first.
	ProjectUpdate(ctx context.Context, p *prikke.Project) error
	// ProjectSetSnooze sets only the project's snooze_until (and
	// updated_at), so a concurrent rename or secret rotation is not
	// written back over. ENOTFOUND if there is no such project.
	ProjectSetSnooze(ctx context.Context, id prikke.ID, until *time.Time, now time.Time) error
	ProjectDelete(ctx context.Context, id prikke.ID) error

	APIKeyCreate(ctx context.Context, k *prikke.APIKey) error
	APIKeyGet(ctx context.Context, id prikke.ID) (*prikke.APIKey, error)
	APIKeyGetByKeyID(ctx context.Context, keyID string) (*prikke.APIKey, error)
	APIKeyListByOrganization(ctx context.Context, orgID prikke.ID) ([]*prikke.APIKey, error)
	APIKeyRevoke(ctx context.Context, id prikke.ID, now time.Time) error
	// APIKeyTouch sets last_used_at unless it was set less than
	// prikke.APIKeyTouchInterval before now.
	APIKeyTouch(ctx context.Context, id prikke.ID, now time.Time) error

	AuditInsert(ctx context.Context, e *prikke.AuditEntry) error
	AuditList(ctx context.Context, f AuditFilter) ([]*prikke.AuditEntry, error)

	// RateLimitHit counts one hit on key in a fixed window and returns the
	// count so far in the current window and when the window ends.
	RateLimitHit(ctx context.Context, key string, window time.Duration, now time.Time) (count int, resetAt time.Time, err error)
	RateLimitReset(ctx context.Context, key string) error

	// UsageGet returns an organization's usage in a month (0 when none).
	UsageGet(ctx context.Context, orgID prikke.ID, month string) (int64, error)
	// UsageAdd adds n requests and returns the new total.
	UsageAdd(ctx context.Context, orgID prikke.ID, month string, n int64) (int64, error)
}

// JobStore keeps jobs and answers questions about executions.
type JobStore interface {
	// JobCreate stores a job (and its channel list). For cron jobs
	// NextRunAt must be set by the caller.
	JobCreate(ctx context.Context, j *prikke.Job) error
	// JobCreateMany creates many jobs in one transaction (imports, the
	// benchmark). Custom channel lists are not supported here.
	JobCreateMany(ctx context.Context, js []*prikke.Job) error
	JobGet(ctx context.Context, id prikke.ID) (*prikke.Job, error)
	JobList(ctx context.Context, f JobFilter) ([]*prikke.Job, error)
	// JobUpdate writes the user-editable fields, NextRunAt, Enabled,
	// IntervalMinutes and the channel list, and deletes the job's pending
	// executions that have not started, all in one transaction. It never
	// starts or ends a plan pause: when the stored job or j has PauseReason
	// plan, the stored Enabled, NextRunAt and PauseReason stay (so a copy
	// read before a plan change cannot undo it); a user ends one with
	// JobSetEnabled.
	JobUpdate(ctx context.Context, j *prikke.Job) error
	// JobSetEnabled pauses or resumes a job. Pausing deletes its pending
	// executions; resuming sets nextRunAt (nil for one-time jobs already
	// delivered) and clears DisabledReason. Either clears PauseReason: it
	// is a user's own.
	JobSetEnabled(ctx context.Context, id prikke.ID, enabled bool, nextRunAt *time.Time) error
	// JobPauseFor pauses a job with a reason (prikke.PauseForPlan, or ""
	// for the user's own pause): enabled false, its pending executions
	// deleted. It undoes a resume the plan's limit refused after the
	// write.
	JobPauseFor(ctx context.Context, id prikke.ID, reason string) error
	JobDelete(ctx context.Context, id prikke.ID) error
	// JobCountByOrganization counts cron and one-time jobs (not queued
	// requests), for the tier's job limit.
	JobCountByOrganization(ctx context.Context, orgID prikke.ID) (int, error)
	JobGetByIdempotencyKey(ctx context.Context, projectID prikke.ID, key string) (*prikke.Job, error)

	// ExecutionGet returns one execution with its stored response.
	ExecutionGet(ctx context.Context, id prikke.ID) (*prikke.Execution, error)
	// ExecutionList lists executions newest first, without response bodies.
	ExecutionList(ctx context.Context, f ExecutionFilter) ([]*prikke.Execution, error)
	// ExecutionStats counts an organization's or project's executions by
	// status since a time.
	ExecutionStats(ctx context.Context, f ExecutionFilter) (map[prikke.ExecutionStatus]int, error)
}

// EngineStore is what the scheduler and the workers need.
type EngineStore interface {
	// LeaderAttemptElect makes leaderID the leader of name if there is none
	// or the lease expired (database clock), for ttl. It reports whether
	// leaderID now leads.
	LeaderAttemptElect(ctx context.Context, name, leaderID string, ttl time.Duration) (bool, error)
	// LeaderAttemptReelect extends leaderID's unexpired lease; false means
	// leadership was lost.
	LeaderAttemptReelect(ctx context.Context, name, leaderID string, ttl time.Duration) (bool, error)
	LeaderResign(ctx context.Context, name, leaderID string) error
	// LeaderGet returns the current leader and lease expiry (ENOTFOUND when
	// none holds an unexpired lease).
	LeaderGet(ctx context.Context, name string) (leaderID string, expiresAt time.Time, err error)

	// JobListDue returns enabled cron and one-time jobs whose NextRunAt is
	// at or before horizon, soonest first, with their organization's tier.
	JobListDue(ctx context.Context, horizon time.Time, limit int) ([]*DueJob, error)
	// JobNextRunAt returns the soonest NextRunAt of any enabled job.
	JobNextRunAt(ctx context.Context) (time.Time, bool, error)
	// OccurrencesWrite writes, in one transaction, each job's new
	// executions (ON CONFLICT DO NOTHING on job, scheduled_for, attempt) and
	// advances its NextRunAt, but only where NextRunAt still equals the
	// value the scheduler read (so a concurrent edit wins). It returns how
	// many executions were inserted and publishes TopicWork.
	OccurrencesWrite(ctx context.Context, ws []*OccurrenceWrite) (int, error)
	// ExecutionReplay inserts pending replays (manual, attempt 1, due at
	// their ScheduledFor, ReplayOf and their Request* fields set by the
	// caller) of one job, in one transaction; ENOTFOUND when the job is
	// gone. Each must have a distinct ScheduledFor.
	ExecutionReplay(ctx context.Context, es []*prikke.Execution) error
	// ExecutionInsert inserts one pending execution (run now, enqueue) and
	// publishes TopicWork; ECONFLICT on a duplicate occurrence attempt.
	ExecutionInsert(ctx context.Context, e *prikke.Execution) error
	// QueueEnqueueBatch creates queue jobs and their first executions in
	// one transaction (the enqueue API's group commit and POST
	// /queue/batch; QueueEnqueue for one), with a result
	// and an error per item (EnqueueItem). Items sharing a project and an
	// idempotency key make one job: the first, unless the project holds
	// that key already; the rest get that job with Created false. An item
	// that fails does not fail the others: when the transaction fails, each
	// item is tried again alone. TopicWork is published once for the batch.
	QueueEnqueueBatch(ctx context.Context, items []*EnqueueItem)

	// ExecutionClaim claims up to p.Limit due pending executions for
	// p.Node in one short transaction, highest priority and most overdue
	// first, skipping rows other claimers hold (PostgreSQL SKIP LOCKED).
	// In the same transaction it meters usage (one request per claimed
	// attempt) and settles, without delivering, executions over their
	// organization's monthly quota (quota_exceeded) and executions of
	// overlap=skip jobs whose previous run is in flight (skipped).
	ExecutionClaim(ctx context.Context, p *ClaimParams) (*ClaimResult, error)
	// ExecutionComplete records results in one transaction. Each write is
	// fenced: it applies only if the row is still running and claimed by
	// the node. It inserts retries, disables jobs that answered 410 Gone,
	// updates job health and writes flips. It returns the IDs applied.
	ExecutionComplete(ctx context.Context, node string, cs []*Completion) ([]prikke.ID, error)
	// ExecutionRelease puts the node's running executions with these IDs
	// back to pending (shutdown before the request was made).
	ExecutionRelease(ctx context.Context, node string, ids []prikke.ID) (int, error)
	// ExecutionRescue finds running executions whose lease expired before
	// p.Now (database clock when zero), or all running ones with
	// p.AnyLease, and settles them: the row becomes failed ("rescued: node
	// lost") and, per RescueDecision, a new attempt marked rescued is
	// inserted, due at once.
	ExecutionRescue(ctx context.Context, p RescueParams) (int, error)
	// ExecutionMarkSent records that the node's requests for these running
	// executions have gone out (fenced on the node), so that if the node
	// dies they count as possibly delivered.
	ExecutionMarkSent(ctx context.Context, node string, ids []prikke.ID) error
	// ExecutionRescueDead settles the running executions of dead nodes:
	// those whose worker heartbeat (WorkerBeat + node) is older than
	// p.DeadAfter at p.Now (database clock when zero). Those not marked
	// sent go back to pending as they were (the request never left, like
	// ExecutionRelease); those marked sent are settled as lost attempts
	// (DeadNote) and, per RescueDecision, delivered again at once. A node
	// without a worker heartbeat is never judged dead here (its attempts
	// wait for ExecutionRescue). The worker heartbeats of nodes silent for
	// over ForgetDeadAfter that hold nothing are deleted (node IDs change
	// with every restart).
	ExecutionRescueDead(ctx context.Context, p DeadParams) (released, rescued int, err error)
	// ExecutionNextDue returns the earliest instant anything pending may
	// start: the earliest DueAt of an execution of an unlimited key, or of a
	// flow-limited key that is not paused and has room under its
	// parallelism, the later of its first waiting execution's DueAt and the
	// key's ready_at (next rate slot, end of a hold). A key blocked only by
	// its parallelism wakes workers when a completion frees it instead.
	ExecutionNextDue(ctx context.Context) (time.Time, bool, error)
	// ExecutionQueueDepth counts pending executions due at or before now
	// (database clock when zero) and running ones.
	ExecutionQueueDepth(ctx context.Context, now time.Time) (due, running int, err error)
	// ExecutionPrune deletes up to limit finished executions older than
	// their organization's tier history window, and never pending or
	// running rows. It returns how many were deleted.
	ExecutionPrune(ctx context.Context, now time.Time, limit int) (int, error)
	// ExecutionDeletePending deletes a job's pending executions (not
	// started), e.g. when it is edited, paused or deleted.
	ExecutionDeletePending(ctx context.Context, jobID prikke.ID) (int, error)
}

// NotifyStore keeps channels, flips and the record of sends.
type NotifyStore interface {
	ChannelCreate(ctx context.Context, c *prikke.Channel) error
	ChannelGet(ctx context.Context, id prikke.ID) (*prikke.Channel, error)
	ChannelGetByConfirmHash(ctx context.Context, hash []byte) (*prikke.Channel, error)
	ChannelListByProject(ctx context.Context, projectID prikke.ID) ([]*prikke.Channel, error)
	// ChannelListForJob returns the channels a job's flips go to: the
	// project's, the job's own, or none, per its NotifyMode. Inactive
	// channels are included; callers check Active.
	ChannelListForJob(ctx context.Context, jobID prikke.ID) ([]*prikke.Channel, error)
	// ChannelUpdate writes name, target, kind, enabled state, confirmation,
	// failure count and last error.
	ChannelUpdate(ctx context.Context, c *prikke.Channel) error
	ChannelDelete(ctx context.Context, id prikke.ID) error

	// FlipClaim marks up to limit unprocessed flips processed and returns
	// them; each flip is returned to exactly one caller.
	FlipClaim(ctx context.Context, now time.Time, limit int) ([]*prikke.Flip, error)
	FlipInsert(ctx context.Context, f *prikke.Flip) error

	NotificationInsert(ctx context.Context, n *prikke.Notification) error
	NotificationList(ctx context.Context, f NotificationFilter) ([]*prikke.Notification, error)

	// UsageMarkNotified sets the 80% or 100% flag of an organization's
	// month and reports whether this call set it (so each is sent once).
	UsageMarkNotified(ctx context.Context, orgID prikke.ID, month string, percent int) (bool, error)
}

// StatusStore keeps what the public status pages show.
type StatusStore interface {
	// HeartbeatPut records a live signal (e.g. "scheduler") at the
	// database clock.
	HeartbeatPut(ctx context.Context, name, detail string) error
	// HeartbeatGet returns when name last beat, or ENOTFOUND.
	HeartbeatGet(ctx context.Context, name string) (time.Time, string, error)
	// HeartbeatList returns every heartbeat whose name starts with prefix
	// (e.g. "node:"), by name.
	HeartbeatList(ctx context.Context, prefix string) ([]Heartbeat, error)

	// StatusSampleAdd adds d's counters to its component's day (EINVALID
	// for a negative counter).
	StatusSampleAdd(ctx context.Context, d *prikke.StatusSample) error
	// StatusSampleCommit adds every sample's counters to its component's
	// day and moves the heartbeat mark (the sampler's "status:sampled")
	// from prev ("" when there is none yet) to next, in one transaction
	// and only while the mark still reads prev: of samplers that read the
	// same mark, one credits the time since it. It reports whether this
	// call did; when it did not, nothing was written. EINVALID for a
	// negative counter, with nothing written either.
	StatusSampleCommit(ctx context.Context, mark, prev, next string, ds []*prikke.StatusSample) (bool, error)
	StatusSampleList(ctx context.Context, sinceDay string) ([]*prikke.StatusSample, error)

	IncidentCreate(ctx context.Context, inc *prikke.Incident, first *prikke.IncidentUpdate) error
	// IncidentUpdate adds an update and sets the incident's status (and
	// resolved_at when resolved).
	IncidentUpdate(ctx context.Context, u *prikke.IncidentUpdate) error
	IncidentGet(ctx context.Context, id prikke.ID) (*prikke.Incident, error)
	// IncidentList returns unresolved incidents and those resolved at or
	// after since, newest first, with their updates.
	IncidentList(ctx context.Context, since time.Time) ([]*prikke.Incident, error)

	StatusPageCreate(ctx context.Context, p *prikke.StatusPage) error
	StatusPageGet(ctx context.Context, id prikke.ID) (*prikke.StatusPage, error)
	StatusPageGetBySlug(ctx context.Context, slug string) (*prikke.StatusPage, error)
	StatusPageListByProject(ctx context.Context, projectID prikke.ID) ([]*prikke.StatusPage, error)
	// StatusPageUpdate writes slug, title, published and the job list.
	StatusPageUpdate(ctx context.Context, p *prikke.StatusPage) error
	StatusPageDelete(ctx context.Context, id prikke.ID) error

	// JobDaysRollup recomputes per-day outcome counts from executions
	// finished since `since` for jobs shown on any status page.
	JobDaysRollup(ctx context.Context, since time.Time) error
	JobDaysList(ctx context.Context, jobIDs []prikke.ID, sinceDay string) ([]*prikke.JobDay, error)
	// JobDaysPrune deletes days before beforeDay.
	JobDaysPrune(ctx context.Context, beforeDay string) (int, error)
}

// MonitorStore keeps cron monitors, their pings and their flips.
//
// A monitor's state (prikke.MonitorState) only changes inside the store's
// transactions, by a step function the caller passes (internal/monitor's
// state machine): the store locks the monitor's row (PostgreSQL FOR
// UPDATE; SQLite's single writer), hands the monitor to the step, then
// writes the new state (Version+1), the ping and the flips the step
// returned, in one transaction. So a ping, a deadline and an edit never
// overwrite each other, and on several nodes each flip is written once.
type MonitorStore interface {
	// MonitorCreate stores a monitor and its channel list. ECONFLICT when
	// the slug is taken in the project (or the token, which is unlikely).
	MonitorCreate(ctx context.Context, m *prikke.Monitor) error
	MonitorGet(ctx context.Context, id prikke.ID) (*prikke.Monitor, error)
	MonitorGetByPingToken(ctx context.Context, token string) (*prikke.Monitor, error)
	MonitorGetByBadgeToken(ctx context.Context, token string) (*prikke.Monitor, error)
	MonitorGetBySlug(ctx context.Context, projectID prikke.ID, slug string) (*prikke.Monitor, error)
	MonitorList(ctx context.Context, f MonitorFilter) ([]*prikke.Monitor, error)
	// MonitorModify reads the monitor locked, calls fn, and if fn returns
	// no error writes every field fn may have changed (configuration,
	// channel list, state with Version+1) and the flips it returned, in
	// one transaction; it publishes TopicMonitors (and TopicFlips when
	// there are flips). fn's error is returned as it is, and nothing is
	// written. ECONFLICT when fn changed the slug to a taken one.
	MonitorModify(ctx context.Context, id prikke.ID, fn func(m *prikke.Monitor) ([]*prikke.MonitorFlip, error)) (*prikke.Monitor, error)
	MonitorDelete(ctx context.Context, id prikke.ID) error
	// MonitorCountByOrganization counts an organization's monitors, for
	// the tier's job limit (jobs and monitors together).
	MonitorCountByOrganization(ctx context.Context, orgID prikke.ID) (int, error)

	// PingsRecord records a batch of pings in one transaction: for each
	// ping, in order, the step moves its monitor (and may set the ping's
	// Duration); then the pings, the monitors' new states and the flips
	// are written. A ping whose monitor no longer exists is dropped (its
	// ID is returned in dropped). It publishes TopicFlips when there are
	// flips and TopicMonitors when a monitor's DeadlineAt moved earlier.
	PingsRecord(ctx context.Context, pings []*prikke.Ping, step PingStep) (dropped []prikke.ID, err error)
	// MonitorExpireDue steps every monitor whose DeadlineAt is at or
	// before now (database clock when zero), at most limit, soonest
	// first, each in the same locked read-step-write as MonitorModify,
	// skipping rows another node holds (SKIP LOCKED). A step must move
	// DeadlineAt past now or clear it. It returns how many it stepped.
	MonitorExpireDue(ctx context.Context, now time.Time, limit int, step DeadlineStep) (int, error)
	// MonitorNextDeadline returns the soonest DeadlineAt of any monitor.
	MonitorNextDeadline(ctx context.Context) (time.Time, bool, error)

	// PingList lists a monitor's pings newest first, without bodies.
	PingList(ctx context.Context, f PingFilter) ([]*prikke.Ping, error)
	// PingGet returns one ping of the monitor with its body.
	PingGet(ctx context.Context, monitorID, id prikke.ID) (*prikke.Ping, error)
	// PingPrune deletes up to limit pings older than their organization's
	// tier history window, but always keeps each monitor's newest 100.
	PingPrune(ctx context.Context, now time.Time, limit int) (int, error)

	// MonitorFlipPrune deletes up to limit processed monitor flips older
	// than their organization's tier history window, but always keeps
	// each monitor's newest 100 flips.
	MonitorFlipPrune(ctx context.Context, now time.Time, limit int) (int, error)
	// MonitorFlipList lists a monitor's flips newest first.
	MonitorFlipList(ctx context.Context, monitorID prikke.ID, limit int) ([]*prikke.MonitorFlip, error)
	// MonitorFlipClaim leases up to limit unprocessed monitor flips to
	// the caller until now + MonitorFlipLease and returns them, oldest
	// first. It returns only flips whose lease is absent or ended, so
	// while a lease runs each flip is returned to exactly one caller. The
	// caller confirms each flip with MonitorFlipDone once it has sent it
	// everywhere; a flip whose claimer died (a node killed mid-send) is
	// claimed again after its lease and sent again, with the same
	// Standard Webhooks id (derived from the flip's ID) so receivers can
	// drop the duplicate. Alerts are at least once, never lost. A zero now
	// means the store's clock.
	MonitorFlipClaim(ctx context.Context, now time.Time, limit int) ([]*prikke.MonitorFlip, error)
	// MonitorFlipDone marks the claimed flip id processed at now (the
	// store's clock when zero): it is never claimed again. Confirming a
	// flip already processed changes nothing; an unknown flip (deleted
	// with its monitor) is prikke.ENOTFOUND.
	MonitorFlipDone(ctx context.Context, id prikke.ID, now time.Time) error
	// ChannelListForMonitor returns the channels a monitor's flips go to,
	// per its NotifyMode, like ChannelListForJob.
	ChannelListForMonitor(ctx context.Context, monitorID prikke.ID) ([]*prikke.Channel, error)

	// ProjectGetByPingKey returns the project whose PingKey is key.
	ProjectGetByPingKey(ctx context.Context, key string) (*prikke.Project, error)
}

// PingStep moves a monitor on one ping (see internal/monitor). It may set
// p.Duration, and returns the flips to write.
type PingStep func(m *prikke.Monitor, p *prikke.Ping) []*prikke.MonitorFlip

// DeadlineStep moves a monitor whose deadline passed, at now.
type DeadlineStep func(m *prikke.Monitor, now time.Time) []*prikke.MonitorFlip

// MonitorFilter selects monitors. OrganizationID or ProjectID is required.
type MonitorFilter struct {
	OrganizationID *prikke.ID
	ProjectID      *prikke.ID
	Statuses       []prikke.MonitorStatus // stored statuses
	Search         string                 // substring of name or slug, case-insensitive
	Limit          int                    // 0 means 100
	// After is a cursor: monitors created after (CreatedAt, ID).
	AfterCreatedAt time.Time
	AfterID        prikke.ID
}

// PingFilter selects a monitor's pings, newest first.
type PingFilter struct {
	MonitorID prikke.ID
	Kinds     []prikke.PingKind
	// Before is a cursor: pings older than (CreatedAt, ID).
	BeforeCreatedAt time.Time
	BeforeID        prikke.ID
	Limit           int // 0 means 100
}

// Heartbeat is one live signal.
type Heartbeat struct {
	Name   string
	At     time.Time
	Detail string
}

// SignupParams are the rows created at sign-up.
type SignupParams struct {
	User         *prikke.User
	Organization *prikke.Organization
	Project      *prikke.Project
}

// WorkflowStore keeps workflows, their versions, runs and step states,
// workflow flips and project secrets. Every run transition (a start, a
// step's final result, a cancel, a retry) is one transaction that locks
// the run's row, writes the step rows, and makes the next steps due (a
// hidden queue job and its first execution each, see prikke.JobStep), as
// internal/workflow plans them.
type WorkflowStore interface {
	// WorkflowCreate stores w at version 1 (it sets w.Version) with its
	// definition.
	WorkflowCreate(ctx context.Context, w *prikke.Workflow) error
	// WorkflowGet returns a workflow with its current definition.
	WorkflowGet(ctx context.Context, id prikke.ID) (*prikke.Workflow, error)
	// WorkflowList returns a project's workflows by creation, with their
	// current definitions.
	WorkflowList(ctx context.Context, f WorkflowFilter) ([]*prikke.Workflow, error)
	// WorkflowUpdate writes w's name and, as version w.Version+1, its
	// definition, if the stored version is still w.Version (ECONFLICT
	// otherwise: someone saved in between); it sets w.Version.
	WorkflowUpdate(ctx context.Context, w *prikke.Workflow, now time.Time) error
	// WorkflowDelete deletes a workflow with its versions, runs, their
	// step jobs and history, and the jobs that target it.
	WorkflowDelete(ctx context.Context, id prikke.ID) error
	// WorkflowVersionGet returns one saved version's definition.
	WorkflowVersionGet(ctx context.Context, id prikke.ID, version int) (*prikke.WorkflowDefinition, error)
	// WorkflowCount counts a project's workflows.
	WorkflowCount(ctx context.Context, projectID prikke.ID) (int, error)

	// WorkflowRunStart creates a run of the workflow's current version and
	// makes its first steps due, in one transaction. With an idempotency
	// key already used for the workflow, it returns that run and
	// created=false.
	WorkflowRunStart(ctx context.Context, p *RunStart) (run *prikke.WorkflowRun, created bool, err error)
	// WorkflowRunGet returns a run with its version's Definition and its
	// WorkflowName.
	WorkflowRunGet(ctx context.Context, id prikke.ID) (*prikke.WorkflowRun, error)
	// WorkflowRunList returns runs newest first.
	WorkflowRunList(ctx context.Context, f RunFilter) ([]*prikke.WorkflowRun, error)
	// WorkflowRunSteps returns every step row of a run, in definition
	// order, items after their step in index order.
	WorkflowRunSteps(ctx context.Context, runID prikke.ID) ([]*prikke.RunStep, error)
	// WorkflowRunCancel cancels a running run: steps not finished become
	// cancelled and their pending executions are deleted (a request in
	// flight finishes and is recorded, but starts nothing). ECONFLICT when
	// the run has finished.
	WorkflowRunCancel(ctx context.Context, id prikke.ID, now time.Time) (*prikke.WorkflowRun, error)
	// WorkflowRunRetry makes a failed or cancelled run running again from
	// step from ("" = its first failed or cancelled step): that step and
	// every step downstream of it start over; the others keep their
	// outputs. ECONFLICT when the run is running or succeeded; EINVALID
	// when from names no step that can be retried.
	WorkflowRunRetry(ctx context.Context, id prikke.ID, from string, now time.Time) (*prikke.WorkflowRun, error)
	// WorkflowRunsRepair advances up to limit running runs whose steps
	// wait on executions that ended without a completion naming them
	// (settled over quota in a claim, deleted with an edit): the safety
	// net behind the transactions above. It returns how many it advanced.
	WorkflowRunsRepair(ctx context.Context, now time.Time, limit int) (int, error)
	// WorkflowRunPrune deletes up to limit finished runs (with their step
	// jobs) older than their organization's history window.
	WorkflowRunPrune(ctx context.Context, now time.Time, limit int) (int, error)

	// WorkflowFlipClaim marks up to limit unprocessed workflow flips
	// processed and returns them; each to exactly one caller.
	WorkflowFlipClaim(ctx context.Context, now time.Time, limit int) ([]*prikke.WorkflowFlip, error)

	// SecretPut creates or replaces a project secret (sealed at rest).
	// ECONFLICT-free; EINVALID past prikke.MaxSecretsPerProject.
	SecretPut(ctx context.Context, s *prikke.Secret) error
	// SecretList returns a project's secrets by name, without values.
	SecretList(ctx context.Context, projectID prikke.ID) ([]*prikke.Secret, error)
	// SecretDelete deletes one; ENOTFOUND if there is none.
	SecretDelete(ctx context.Context, projectID prikke.ID, name string) error
	// SecretValues returns a project's secrets, opened, by name.
	SecretValues(ctx context.Context, projectID prikke.ID) (map[string]string, error)
}

// WorkflowFilter selects workflows.
type WorkflowFilter struct {
	ProjectID prikke.ID
	Limit     int // 0 means 100
}

// RunFilter selects workflow runs; WorkflowID or ProjectID is required.
type RunFilter struct {
	WorkflowID *prikke.ID
	ProjectID  *prikke.ID
	Status     []prikke.RunStatus
	// Before is a cursor: runs created before (CreatedAt, ID) of this run.
	BeforeCreatedAt time.Time
	BeforeID        prikke.ID
	Limit           int // 0 means 50
}

// RunStart starts a run.
type RunStart struct {
	WorkflowID     prikke.ID
	Trigger        prikke.RunTrigger
	JobID          *prikke.ID // RunTriggerJob
	Payload        []byte     // JSON; nil means null
	IdempotencyKey string     // "" for none
	ScheduledFor   time.Time  // zero: now
	Now            time.Time  // zero: the database clock
}

// JobFilter selects jobs. OrganizationID or ProjectID is required.
type JobFilter struct {
	OrganizationID *prikke.ID
	ProjectID      *prikke.ID
	Kinds          []prikke.JobKind // empty: cron and once (not queue)
	Enabled        *bool
	Search         string // substring of name or URL, case-insensitive
	// After is a cursor: jobs created after (CreatedAt, ID) of this job.
	AfterCreatedAt time.Time
	AfterID        prikke.ID
	Limit          int // 0 means 100
}

// ExecutionFilter selects executions. JobID, ProjectID or
// OrganizationID is required.
type ExecutionFilter struct {
	OrganizationID *prikke.ID
	ProjectID      *prikke.ID
	JobID          *prikke.ID
	Statuses       []prikke.ExecutionStatus
	Since, Until   time.Time // on created_at; zero means open
	// Search (issue 18): response status codes (any of; 0 matches no
	// response), a class ("2xx".."5xx" as 2..5; 0 any), duration bounds in
	// milliseconds (0: open), and text the stored response body contains
	// (case-sensitive bytes; "" any).
	StatusCodes   []int
	StatusClass   int
	MinDurationMS int
	MaxDurationMS int
	BodyContains  string
	// ReplayOf selects the replays of one execution.
	ReplayOf *prikke.ID
	// Before is a cursor: executions older than (CreatedAt, ID).
	BeforeCreatedAt time.Time
	BeforeID        prikke.ID
	Limit           int // 0 means 100
}

// AuditFilter selects audit entries of one organization, newest first.
type AuditFilter struct {
	OrganizationID  prikke.ID
	BeforeCreatedAt time.Time
	BeforeID        prikke.ID
	Limit           int
}

// NotificationFilter selects notifications, newest first.
type NotificationFilter struct {
	ProjectID *prikke.ID
	ChannelID *prikke.ID
	JobID     *prikke.ID
	MonitorID *prikke.ID
	Limit     int
}

// DueJob is a job the scheduler must write occurrences for.
type DueJob struct {
	Job  *prikke.Job
	Tier prikke.Tier
}

// OccurrenceWrite is what the scheduler writes for one job.
type OccurrenceWrite struct {
	JobID prikke.ID
	// PrevNextRunAt is the NextRunAt the scheduler read; the write is
	// skipped if the job changed since.
	PrevNextRunAt time.Time
	// NextRunAt is the new cursor; nil when the job has no more
	// occurrences (a one-time job written).
	NextRunAt  *time.Time
	Executions []*prikke.Execution
}

// FlowStore keeps a project's flow keys (flow.go). Limits are enforced by
// ExecutionClaim; these methods configure keys and read their live state.
//
// A key has a row while it is limited (configured, paused, or held). The
// pending and running executions of a key with a row carry the row's id
// (the queue's flow column), so the ordinary claim never sees them and the
// flow claim reads them per key, FIFO, never further than it can start:
// rows are tagged when the row is created (and again just after, for
// executions being written in the same instant), on insert when their
// key has a row, and untagged when it is deleted.
type FlowStore interface {
	// FlowKeyPut creates or replaces a key's limits (Rate, Period, Burst,
	// Parallelism; Configured becomes true), keeping its state (TAT, hold,
	// pause). It returns the key as stored (with live figures) and whether
	// it was created. ECONFLICT past FlowKeysPerProject keys.
	FlowKeyPut(ctx context.Context, k *prikke.FlowKey) (*prikke.FlowKey, bool, error)
	// FlowKeyGet returns a key with its live figures at now (database
	// clock when zero); ENOTFOUND when it has no row.
	FlowKeyGet(ctx context.Context, projectID prikke.ID, key string, now time.Time) (*prikke.FlowKey, error)
	// FlowKeyList returns a project's keys by key, with live figures.
	FlowKeyList(ctx context.Context, projectID prikke.ID, now time.Time) ([]*prikke.FlowKey, error)
	// FlowKeyDelete removes a key's row: its executions are unlimited
	// again. ENOTFOUND when it has none.
	FlowKeyDelete(ctx context.Context, projectID prikke.ID, key string) error
	// FlowKeySetPaused pauses or resumes a key, creating its row (no
	// limits, Configured true) when it has none. Resuming wakes workers.
	FlowKeySetPaused(ctx context.Context, projectID prikke.ID, key string, paused bool) (*prikke.FlowKey, error)
	// FlowKeyHold holds a key until the given instant (its endpoint
	// answered 429 or 503 with Retry-After; the caller clamps), creating
	// its row (Configured false) when it has none. A hold only lengthens:
	// an earlier until than the one stored changes nothing. A key with a
	// row is always held; one without is refused (ECONFLICT, nothing
	// written) when the project has FlowHoldKeysPerProject hold-only rows.
	FlowKeyHold(ctx context.Context, projectID prikke.ID, key string, until time.Time, reason string) error
	// FlowKeyPrune deletes up to limit hold-only rows (Configured false)
	// that are not paused, whose hold ended (or was released) more than
	// FlowHoldKeep before now, and that have no running executions. Their
	// waiting executions become ordinary (untagged) in the same
	// transaction, and workers are woken when any were. It returns how
	// many rows it deleted. The scheduler's maintenance runs it.
	FlowKeyPrune(ctx context.Context, now time.Time, limit int) (int, error)
	// FlowKeyRelease ends a hold at once (the dashboard's and API's
	// "release hold").
	FlowKeyRelease(ctx context.Context, projectID prikke.ID, key string) (*prikke.FlowKey, error)
}

// ClaimParams says what a worker wants.
type ClaimParams struct {
	Node  string
	Limit int
	// Now overrides the database clock (tests).
	Now time.Time
	// OrgRoom caps how many executions of each organization this claim
	// may take: the node's per-organization in-flight cap minus what it
	// already holds. Organizations not listed may take DefaultOrgRoom (0:
	// no cap); an organization with no room is skipped.
	OrgRoom        map[prikke.ID]int
	DefaultOrgRoom int
	// LeaseGrace is added to each execution's job timeout to set its lease,
	// counted from the due instant for executions claimed ahead.
	LeaseGrace time.Duration
	// Lookahead also claims executions due this soon, once everything
	// already due is claimed (or the limit reached).
	Lookahead time.Duration
}

// ClaimResult is a claim's outcome.
type ClaimResult struct {
	// Claimed are the executions to deliver, each with its job, project
	// secrets and tier.
	Claimed []*Claimed
	// Settled counts executions finished without delivery (quota, overlap).
	Settled int
	// QuotaCrossings are organizations whose usage crossed 80% or 100% of
	// their quota in this claim.
	QuotaCrossings []QuotaCrossing
}

// Claimed is one execution a node now owns.
type Claimed struct {
	Execution *prikke.Execution
	Job       *prikke.Job
	Secrets   []string // the project's signing secrets at claim time
	// Redact is the project's redaction at claim time (nil: defaults).
	Redact *prikke.Redaction
	Tier   prikke.Tier
	// Flow is the execution's flow key as it stood at the claim (its
	// limits), for an execution claimed through the flow path; nil for
	// one of an unlimited key. The worker starts a rate-limited execution
	// only within one Interval of its slot (DueAt), and gives it back for
	// a fresh slot otherwise (see internal/worker/deliver.go).
	Flow *prikke.FlowKey
}

// QuotaCrossing reports an organization passing a quota threshold.
type QuotaCrossing struct {
	OrganizationID prikke.ID
	Month          string
	Used, Limit    int64
}

// RescueParams say which lost attempts to rescue.
type RescueParams struct {
	Now   time.Time // zero: the database clock
	Limit int
	// AnyLease rescues every running execution whatever its lease: an
	// SQLite file has one owner, so at its start nothing else can be
	// delivering.
	AnyLease bool
}

// DeadParams say when a node is dead (see ExecutionRescueDead).
type DeadParams struct {
	Now       time.Time // zero: the database clock
	DeadAfter time.Duration
	Limit     int
	// Nodes, when set, are the only nodes taken over, whatever their
	// heartbeat (no other is judged): a node starting takes over what an
	// earlier process of the same ID left running.
	Nodes []string
}

// NodeBeat prefixes the heartbeat each running node writes every few
// seconds, whose detail is its prikke.NodeInfo as JSON.
const NodeBeat = "node:"

// WorkerBeat prefixes the heartbeat a node's worker beats every second or
// so while it can reach the database; ExecutionRescueDead reads it.
const WorkerBeat = "worker:"

// ForgetDeadAfter is how long a silent node's worker heartbeat is kept.
const ForgetDeadAfter = time.Hour

// MonitorFlipLease is how long a MonitorFlipClaim keeps a flip from other
// claimers: long enough to send it to every channel, short enough that a
// flip whose notifier died is sent soon after.
const MonitorFlipLease = 60 * time.Second

// Completion is one attempt's result.
type Completion struct {
	ExecutionID    prikke.ID
	JobID          prikke.ID
	OrganizationID prikke.ID
	Attempt        int
	Status         prikke.ExecutionStatus // success, failed or timeout
	StartedAt      time.Time
	FinishedAt     time.Time
	DurationMS     int

	RequestMethod    string
	RequestURL       string
	RequestHeaders   []prikke.Header
	RequestBody      []byte // as sent, redacted, at most prikke.MaxRecordedBody
	RequestTruncated bool
	Trace            *prikke.Trace

	ResponseStatus    int
	ResponseHeaders   []prikke.Header
	ResponseBody      []byte
	ResponseTruncated bool
	Error             string

	// Retry, when set, is the next attempt to insert (one-time and queued
	// jobs with attempts left).
	Retry *prikke.Execution
	// Gone disables the job (the receiver answered 410).
	Gone bool
	// Health is how this attempt counts for the job's health: HealthNone
	// for a failure that will be retried.
	Health HealthEffect
	// Step is the job's step (Job.Step) when the attempt is one of a
	// workflow step: in the same transaction the store records the
	// attempt on the run's step row and, when Retry is nil (the step's
	// last attempt), finishes the step and advances the run.
	Step *prikke.JobStep
}

// HealthEffect is how a completion moves a job's health.
type HealthEffect int

// Health effects.
const (
	HealthNone HealthEffect = iota
	HealthSuccess
	HealthFailure
)

// Topic names a wake-up event stream.
type Topic string

// Topics.
const (
	// TopicWork: pending executions were written; the payload is the
	// earliest due instant (RFC 3339 nano) or empty.
	TopicWork Topic = "work"
	// TopicJobs: a job was created, edited, paused or deleted; the
	// scheduler re-reads its cursor.
	TopicJobs Topic = "jobs"
	// TopicExecutions: executions changed; the payload is
	// "<job_id> <execution_id>" lines, for live dashboards.
	TopicExecutions Topic = "executions"
	// TopicFlips: flips (of jobs or monitors) were written; the notifier
	// wakes.
	TopicFlips Topic = "flips"
	// TopicMonitors: a monitor was created, edited or deleted, or a
	// ping moved its deadline earlier; the scheduler re-reads the next
	// deadline. The payload is the monitor ID.
	TopicMonitors Topic = "monitors"
	// TopicPings: pings were recorded; the payload is "<monitor_id>
	// <ping_id>" lines, for live dashboards.
	TopicPings Topic = "pings"
)

// Event is one published event.
type Event struct {
	Topic   Topic
	Payload string
}

// BillingStore keeps Lemon Squeezy subscriptions, the webhook deliveries
// Prikke accepted, and the plan changes they cause.
type BillingStore interface {
	// BillingRecord records a webhook delivery ev (by its Hash) and, when
	// sub is not nil, writes sub if it is newer (UpdatedAt) than the stored
	// copy, in one transaction. It sets ev.Outcome and reports:
	// BillingDuplicate when a delivery with that hash was recorded before
	// (nothing is written); otherwise the outcome stored (prikke.Billing*):
	// stale when the stored copy is as new or newer (ev is still recorded),
	// unclaimed when sub names no organization. ev nil (a re-sync through
	// the API) writes sub alone, on the same newer-only rule.
	// sub.OrganizationID naming an organization that does not exist is
	// stored as unclaimed (nil). A stored subscription's claimed
	// organization is kept when sub has none. sub nil (a payment event,
	// which never overwrites the subscription) records ev with the
	// Outcome the caller set (prikke.BillingPayment; empty is ignored).
	// The delivery's organization is ev.OrganizationID when it exists,
	// else its subscription's. Neither ev nor sub is otherwise changed.
	BillingRecord(ctx context.Context, ev *prikke.BillingEvent, sub *prikke.Subscription) (string, error)
	// SubscriptionGet returns a stored subscription, or ENOTFOUND.
	SubscriptionGet(ctx context.Context, id string) (*prikke.Subscription, error)
	// SubscriptionList lists subscriptions, newest UpdatedAt first.
	SubscriptionList(ctx context.Context, f SubscriptionFilter) ([]*prikke.Subscription, error)
	// SubscriptionClaim attaches an unclaimed subscription to an
	// organization; ECONFLICT when it is claimed already.
	SubscriptionClaim(ctx context.Context, id string, orgID prikke.ID) error
	// BillingEventList lists an organization's recorded deliveries, newest
	// first, at most limit.
	BillingEventList(ctx context.Context, orgID prikke.ID, limit int) ([]*prikke.BillingEvent, error)

	// OrganizationSetBaseTier sets an organization's base tier (an
	// operator's choice); the service then applies the computed tier with
	// PlanChange.
	OrganizationSetBaseTier(ctx context.Context, id prikke.ID, tier prikke.Tier, now time.Time) error
	// PlanChange moves an organization to c.To in one transaction holding
	// its row. When its tier already is c.To it returns nil, nil and changes
	// nothing (so a change is applied, and mailed, once). Down to a tier
	// with lower limits: of its active jobs (cron and one-time, enabled, not
	// a workflow step's) and monitors (not paused), those
	// prikke.PlanPauses(c.To.Limits(), …) picks are paused with PauseReason
	// prikke.PauseForPlan (a job: enabled false and its pending executions
	// deleted, as a pause; a monitor: c.PauseMonitor). Up: every job and
	// monitor with PauseReason plan is resumed (a job: enabled, reason
	// cleared, NextRunAt from c.NextRun; a monitor: c.ResumeMonitor), unless
	// an operator has the organization suspended: then nothing is resumed
	// and their PauseReason becomes prikke.PauseForSuspension, for the
	// unsuspend to resume. Either way the organization's pending
	// executions get the priority of c.To.
	PlanChange(ctx context.Context, c *PlanChange) (*PlanResult, error)

	// JobCreateWithin creates j unless its organization already has max
	// jobs and monitors together (max 0: no limit): the count and the
	// insert are atomic, so concurrent creates cannot pass the limit
	// together. The organization's tier as stored when the row is locked
	// caps max too (a downgrade committed after the caller read the tier).
	// Over the limit it returns a *LimitError; in an organization an
	// operator suspended (as the locked row says), prikke.EFORBIDDEN.
	JobCreateWithin(ctx context.Context, j *prikke.Job, max int) error
	// MonitorCreateWithin is JobCreateWithin for a monitor.
	MonitorCreateWithin(ctx context.Context, m *prikke.Monitor, max int) error
}

// BillingDuplicate is BillingRecord's outcome for a replayed delivery.
const BillingDuplicate = "duplicate"

// SubscriptionFilter selects subscriptions; zero selects all.
type SubscriptionFilter struct {
	OrganizationID *prikke.ID
	Unclaimed      bool   // only those with no organization
	Email          string // only those of this customer email (case-insensitive)
}

// PlanChange is a tier change for PlanChange.
type PlanChange struct {
	OrganizationID prikke.ID
	To             prikke.Tier
	At             time.Time
	// NextRun computes a resumed job's next run at now (the same rule as a
	// user's resume).
	NextRun func(j *prikke.Job, now time.Time) *time.Time
	// PauseMonitor and ResumeMonitor step a monitor (monitor.Pause and
	// monitor.Resume); their flips are stored as MonitorModify stores them.
	PauseMonitor  func(m *prikke.Monitor, now time.Time) []*prikke.MonitorFlip
	ResumeMonitor func(m *prikke.Monitor, now time.Time) []*prikke.MonitorFlip
	// Enforce, when the tier already is To, still pauses (reason plan)
	// what To's limits do not allow, as a downgrade would: an operator's
	// set-tier on an organization that runs more than its tier allows
	// (written before limits were enforced). The result has From == To;
	// nil when nothing was paused.
	Enforce bool
}

// PlanResult is what a PlanChange did: the jobs and monitors it paused
// (down) or resumed (up), in creation order.
type PlanResult struct {
	From, To prikke.Tier
	Jobs     []*prikke.Job
	Monitors []*prikke.Monitor
}

// LimitError is JobCreateWithin's and MonitorCreateWithin's refusal: the
// organization has Jobs and Monitors, together at least Max.
type LimitError struct {
	Jobs, Monitors, Max int
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("the organization has %d jobs and %d monitors, at its limit of %d", e.Jobs, e.Monitors, e.Max)
}

// OperatorStore keeps what the operator console does across organizations.
type OperatorStore interface {
	// OrganizationSuspend suspends an organization, in one transaction
	// holding its row: suspended_at = c.At and suspend_reason = c.Reason;
	// every enabled cron or one-time job (not a workflow step's) is paused
	// with PauseReason prikke.PauseForSuspension (enabled false, pending
	// executions deleted, as a pause) and every unpaused monitor too
	// (c.PauseMonitor, flips stored as MonitorModify stores them); the
	// pending executions of its queued messages are deleted (Cancelled
	// counts them). What a user or a plan paused keeps its own reason. An
	// organization suspended already only gets the new reason (result
	// empty). ENOTFOUND for an unknown organization.
	OrganizationSuspend(ctx context.Context, c *Suspension) (*SuspendResult, error)
	// OrganizationUnsuspend clears the suspension and resumes exactly what
	// it paused (reason prikke.PauseForSuspension: a job with NextRunAt from
	// c.NextRun, a monitor with c.ResumeMonitor), in one transaction. Not
	// suspended: an empty result, nothing changed. The caller then applies
	// the tier (PlanChange with Enforce), so limits hold again.
	OrganizationUnsuspend(ctx context.Context, c *Suspension) (*SuspendResult, error)
	// OrganizationSummaries lists organizations for the operator, newest
	// first, with their counts and this month's usage.
	OrganizationSummaries(ctx context.Context, f OrganizationSummaryFilter) ([]*OrganizationSummary, error)
	// AuditListOperator lists the audit entries of operator actions
	// (action "operator.*", any organization or none), newest first.
	AuditListOperator(ctx context.Context, f AuditFilter) ([]*prikke.AuditEntry, error)
}

// Suspension is an operator's suspend or unsuspend.
type Suspension struct {
	OrganizationID prikke.ID
	Reason         string // suspend only; at most prikke.MaxSuspendReason
	At             time.Time
	// NextRun, PauseMonitor and ResumeMonitor are PlanChange's.
	NextRun       func(j *prikke.Job, now time.Time) *time.Time
	PauseMonitor  func(m *prikke.Monitor, now time.Time) []*prikke.MonitorFlip
	ResumeMonitor func(m *prikke.Monitor, now time.Time) []*prikke.MonitorFlip
}

// SuspendResult is what a suspend paused or an unsuspend resumed, in
// creation order, and the queued messages' pending executions a suspend
// deleted.
type SuspendResult struct {
	Jobs      []*prikke.Job
	Monitors  []*prikke.Monitor
	Cancelled int
}

// OrganizationSummaryFilter selects organizations for the operator.
type OrganizationSummaryFilter struct {
	// Query matches an organization's ID exactly, or its name or an
	// owner's email as a case-insensitive substring; "" matches all.
	Query     string
	Suspended bool   // only suspended organizations
	Month     string // the usage month, "2006-01"
	// BeforeCreatedAt and BeforeID page, newest first.
	BeforeCreatedAt time.Time
	BeforeID        prikke.ID
	Limit           int // 0 means 100
}

// OrganizationSummary is one organization as the operator sees it.
type OrganizationSummary struct {
	Organization prikke.Organization
	OwnerEmail   string // the first owner's, by membership creation
	Members      int
	Projects     int
	Jobs         int // cron and one-time, as JobCountByOrganization
	Monitors     int
	Requests     int64 // usage in Month
}
