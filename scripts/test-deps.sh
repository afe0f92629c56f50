#!/usr/bin/env bash
# What `make test` needs beyond Go, made present on a fresh Debian machine:
# Chromium for the browser tests, and PostgreSQL on 127.0.0.1:5432 that
# accepts user postgres without a password. Installs from apt (as root, or
# with sudo when it asks no password), starts a cluster that is down, and
# says clearly what is missing when it cannot. Fast when all is present.
set -euo pipefail

say() { printf 'make test: %s\n' "$*" >&2; }

default_url='postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable'
url=${PRIKKE_TEST_DATABASE_URL:-$default_url}

sudo=
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=sudo
  else
    sudo=none
  fi
fi

apt_updated=
apt_install() {
  if ! command -v apt-get >/dev/null 2>&1; then
    say "$1 is missing and there is no apt-get here to install it; install it yourself (${2:-})"
    return 1
  fi
  if [ "$sudo" = none ]; then
    say "$1 is missing; run: sudo apt-get install -y $*   (or run make test as root)"
    return 1
  fi
  say "installing $* from apt"
  if [ -z "$apt_updated" ]; then
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_updated=1
  fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

# Chromium: the browser tests are part of the suite (PRIKKE_REQUIRE_BROWSER=1).
if ! command -v chromium >/dev/null 2>&1; then
  apt_install chromium || { say "the browser tests need Chromium (/usr/bin/chromium)"; exit 1; }
fi

# PostgreSQL: only the default local server is ours to install and start; a
# PRIKKE_TEST_DATABASE_URL pointing elsewhere is the caller's to provide.
if [ "$url" != "$default_url" ]; then
  exit 0
fi
pg_ok() { command -v psql >/dev/null 2>&1 && psql -w "$url" -Atc 'SELECT 1' >/dev/null 2>&1; }
if pg_ok; then
  exit 0
fi

cluster_version() { ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1; }
if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ -z "$(cluster_version)" ]; then
  if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    apt_install postgresql || {
      say "the PostgreSQL store tests need a server on 127.0.0.1:5432 (user postgres, no password), or PRIKKE_TEST_DATABASE_URL"
      exit 1
    }
  fi
fi

version=$(cluster_version)
if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  if [ -z "$version" ]; then
    say "no PostgreSQL cluster under /etc/postgresql and nothing listening on 127.0.0.1:5432"
    exit 1
  fi
  if [ "$sudo" = none ]; then
    say "PostgreSQL $version is down; run: sudo pg_ctlcluster $version main start"
    exit 1
  fi
  say "starting PostgreSQL $version"
  $sudo pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
  if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
    say "PostgreSQL $version did not start accepting connections on 127.0.0.1:5432"
    exit 1
  fi
fi

# A cluster apt has just created asks for passwords over TCP; the tests
# connect as postgres without one (trust on loopback, as on the dev machine).
if ! pg_ok; then
  hba=/etc/postgresql/$version/main/pg_hba.conf
  if [ -z "$version" ] || [ "$sudo" = none ] || [ ! -f "$hba" ]; then
    say "cannot connect to $url without a password; allow it (trust for user postgres on loopback in pg_hba.conf) or set PRIKKE_TEST_DATABASE_URL"
    exit 1
  fi
  say "PostgreSQL: trusting loopback connections for user postgres ($hba)"
  $sudo sed -i '1i host all postgres 127.0.0.1/32 trust\nhost all postgres ::1/128 trust' "$hba"
  $sudo pg_ctlcluster --skip-systemctl-redirect "$version" main reload
  for _ in $(seq 1 10); do pg_ok && break; sleep 1; done
  if ! pg_ok; then
    say "cannot connect to $url without a password"
    exit 1
  fi
fi
