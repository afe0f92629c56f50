package service

import (
	"context"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/status"
)

// StatusReport evaluates Prikke's own health at now, for /status and
// /status.json. It is public: it names components, never tenants.
func (s *Service) StatusReport(ctx context.Context, now time.Time) *status.Report {
	return status.NewChecker(s.store).Report(ctx, now)
}

// PublicStatus computes a project's published status page by its slug,
// for anyone: the page's chosen jobs under their display names, their
// state and daily bars, and nothing else about them (status.CustomerPage
// reads no URL, header, body or error). An unpublished or unknown slug is
// ENOTFOUND.
func (s *Service) PublicStatus(ctx context.Context, slug string, now time.Time) (*status.Page, error) {
	p, err := s.PublicStatusPage(ctx, slug)
	if err != nil {
		return nil, err
	}
	return status.CustomerPage(ctx, s.store, p, now)
}

// OpenIncidents are Prikke's incidents that are not resolved at now, the
// ones operators posted with `prikke incident`, newest update first. They
// are public (the dashboard shows them to every signed-in user).
func (s *Service) OpenIncidents(ctx context.Context, now time.Time) ([]*prikke.Incident, error) {
	incs, err := s.store.IncidentList(ctx, now) // open, and resolved since now: none
	if err != nil {
		return nil, err
	}
	out := incs[:0]
	for _, inc := range incs {
		if inc.ResolvedAt == nil {
			out = append(out, inc)
		}
	}
	return out, nil
}
