package sqlstore

// TEMPORARY: placeholders so the tree builds while the monitor records are
// written (issue 13). The store helper replaces this file; it must not
// survive to the end of the issue.

import (
	"context"
	"errors"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

var errMonitorsUnbuilt = errors.New("monitors: not built yet")

func (r *Records) MonitorCreate(ctx context.Context, m *prikke.Monitor) error {
	return errMonitorsUnbuilt
}
func (r *Records) MonitorGet(ctx context.Context, id prikke.ID) (*prikke.Monitor, error) {
	return nil, errMonitorsUnbuilt
}
func (r *Records) MonitorGetByPingToken(ctx context.Context, token string) (*prikke.Monitor, error) {
	return nil, errMonitorsUnbuilt
}
func (r *Records) MonitorGetByBadgeToken(ctx context.Context, token string) (*prikke.Monitor, error) {
	return nil, errMonitorsUnbuilt
}
func (r *Records) MonitorGetBySlug(ctx context.Context, projectID prikke.ID, slug string) (*prikke.Monitor, error) {
	return nil, errMonitorsUnbuilt
}
func (r *Records) MonitorList(ctx context.Context, f store.MonitorFilter) ([]*prikke.Monitor, error) {
	return nil, errMonitorsUnbuilt
}
func (r *Records) MonitorModify(ctx context.Context, id prikke.ID, fn func(m *prikke.Monitor) ([]*prikke.MonitorFlip, error)) (*prikke.Monitor, error) {
	return nil, errMonitorsUnbuilt
}
func (r *Records) MonitorDelete(ctx context.Context, id prikke.ID) error { return errMonitorsUnbuilt }
func (r *Records) MonitorCountByOrganization(ctx context.Context, orgID prikke.ID) (int, error) {
	return 0, errMonitorsUnbuilt
}
func (r *Records) PingsRecord(ctx context.Context, pings []*prikke.Ping, step store.PingStep) ([]prikke.ID, error) {
	return nil, errMonitorsUnbuilt
}
func (r *Records) MonitorExpireDue(ctx context.Context, now time.Time, limit int, step store.DeadlineStep) (int, error) {
	return 0, errMonitorsUnbuilt
}
func (r *Records) MonitorNextDeadline(ctx context.Context) (time.Time, bool, error) {
	return time.Time{}, false, errMonitorsUnbuilt
}
func (r *Records) PingList(ctx context.Context, f store.PingFilter) ([]*prikke.Ping, error) {
	return nil, errMonitorsUnbuilt
}
func (r *Records) PingGet(ctx context.Context, monitorID, id prikke.ID) (*prikke.Ping, error) {
	return nil, errMonitorsUnbuilt
}
func (r *Records) PingPrune(ctx context.Context, now time.Time, limit int) (int, error) {
	return 0, errMonitorsUnbuilt
}
func (r *Records) MonitorFlipList(ctx context.Context, monitorID prikke.ID, limit int) ([]*prikke.MonitorFlip, error) {
	return nil, errMonitorsUnbuilt
}
func (r *Records) MonitorFlipClaim(ctx context.Context, now time.Time, limit int) ([]*prikke.MonitorFlip, error) {
	return nil, errMonitorsUnbuilt
}
func (r *Records) ChannelListForMonitor(ctx context.Context, monitorID prikke.ID) ([]*prikke.Channel, error) {
	return nil, errMonitorsUnbuilt
}
func (r *Records) ProjectGetByPingKey(ctx context.Context, key string) (*prikke.Project, error) {
	return nil, errMonitorsUnbuilt
}
