package service

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/prikke/prikke/internal/delivery"
)

// DocsOwnMachine is the docs page on testing against your own machine,
// which refusals of local destinations point to.
const DocsOwnMachine = "/docs/own-machine"

// refusalMessage is what a user is told when the delivery guard refuses a
// destination at save time: the guard's own words (the same as at
// delivery), and for this machine or a private network where to read how
// to test against one's own machine.
func (s *Service) refusalMessage(err error) string {
	switch delivery.RefusalReason(err) {
	case "loopback", "private", "unspecified", "this network":
		return err.Error() + "; to test against your own machine, see " + s.url(DocsOwnMachine)
	}
	return err.Error()
}

// secureEnough reports whether a channel URL may be used: https, or plain
// http to a destination that PRIKKE_SSRF_ALLOW opens for development (a
// receiver on the developer's own machine has no certificate).
func (s *Service) secureEnough(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	if strings.EqualFold(u.Scheme, "https") {
		return true
	}
	port := 80
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return false
		}
	}
	return s.client != nil && s.client.Relaxed(u.Hostname(), port)
}
