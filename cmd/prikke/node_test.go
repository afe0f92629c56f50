package main

import (
	"strconv"
	"strings"
	"testing"
)

// TestNodeHeartbeat: a serving node writes its node heartbeat at once;
// `prikke nodes` lists it with its version, schema and worker limit.
func TestNodeHeartbeat(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	env["PRIKKE_NODE_ID"] = "beating-node"
	env["PRIKKE_WORKERS_MAX"] = "77"
	_, stop := startServer(t, env)
	out, err := runIn(t, env, "", "nodes")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("prikke nodes = %q", out)
	}
	schema, err := schemaVersion("sqlite")
	if err != nil || schema < 12 {
		t.Fatalf("schema version %d, %v", schema, err)
	}
	f := strings.Fields(lines[1])
	// NODE VERSION SCHEMA STARTED BEAT LEADER IN-FLIGHT WORKERS ...
	if f[0] != "beating-node" || f[1] != versionString() || f[2] != itoa64(schema) || f[7] != "77" {
		t.Errorf("node line %q", lines[1])
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := runIn(t, env, "", "nodes", "extra"); err == nil {
		t.Error("nodes took an argument")
	}
}

// TestSchemaVersion: the schema a node reports is its newest migration,
// in either dialect.
func TestSchemaVersion(t *testing.T) {
	t.Parallel()
	pg, err := schemaVersion("postgres")
	if err != nil {
		t.Fatal(err)
	}
	lite, err := schemaVersion("sqlite")
	if err != nil {
		t.Fatal(err)
	}
	if pg < 12 || lite < 12 {
		t.Errorf("schema versions postgres %d, sqlite %d", pg, lite)
	}
}

func itoa64(v int64) string { return strconv.FormatInt(v, 10) }
