package web

import (
	"net/http"
	"net/url"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/web/page"
)

// styleguideView is the data of /dev/ui, which shows every component of
// the dashboard's kit in the app layout: a reference for whoever builds the
// next page, and a screenshot target for the browser tests.
type styleguideView struct {
	Statuses []prikke.ExecutionStatus
	Form     *page.Form
	Methods  []page.Option
	Rows     []styleguideRow
}

type styleguideRow struct {
	Job       string
	Status    prikke.ExecutionStatus
	Scheduled string
	Duration  string
}

func (h *Web) showStyleguide(w http.ResponseWriter, r *http.Request) {
	form := page.NewForm(url.Values{"name": {"<script>alert(1)</script>"}, "url": {"ftp://example.com"}, "cron": {"0 9 * * 1-5"}})
	form.AddErrors(prikke.InvalidField("url", "scheme must be http or https"))
	v := h.view(w, r, styleguideView{
		Statuses: prikke.ExecutionStatuses,
		Form:     form,
		Methods:  []page.Option{{Value: "GET", Label: "GET"}, {Value: "POST", Label: "POST"}, {Value: "PUT", Label: "PUT"}},
		Rows: []styleguideRow{
			{"nightly report", prikke.ExecutionStatusSuccess, "2026-11-26 02:00 UTC", "182 ms"},
			{"sync invoices", prikke.ExecutionStatusFailed, "2026-11-26 02:00 UTC", "30.0 s"},
			{"<script>alert(1)</script>", prikke.ExecutionStatusRunning, "2026-11-26 02:05 UTC", "—"},
		},
	})
	v.Flashes = append(v.Flashes,
		page.Flash{Kind: page.FlashSuccess, Message: "Job saved."},
		page.Flash{Kind: page.FlashError, Message: "The job could not be deleted."},
		page.Flash{Kind: page.FlashInfo, Message: "Times are shown in your browser's time zone."})
	h.renderView(w, r, http.StatusOK, "dev_ui", v)
}
