package service

import (
	"net/url"
	"strconv"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/store"
)

func storeFilterJob(id prikke.ID, limit int) store.ExecutionFilter {
	return store.ExecutionFilter{JobID: &id, Limit: limit}
}

func urlHost(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	return u.Host, nil
}

func itoa(i int) string { return strconv.Itoa(i) }
