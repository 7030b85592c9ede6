#!/usr/bin/env bash
# Runs every test of UnhostedStore: unit tests, and the integration/conformance suite against
# SQLite + filesystem and PostgreSQL + filesystem, and the end-to-end tests with a real client
# (remotestorage.js in headless Chromium). It provides what the tests need itself:
#   - PostgreSQL 15 (initdb + pg_ctl into a temp dir, on a free 127.0.0.1 port, stopped afterwards)
#   - an S3 server: OpenStack Swift with s3api from Debian (tests/services/start-swift.sh; it
#     apt-installs the packages when missing and we are root), on free 127.0.0.1 ports
#   - Debian's Chromium at /usr/bin/chromium, and node + npm (apt-get install when run as root;
#     otherwise it fails with the install command; the e2e tests are never skipped)
#   - the pinned npm packages of tests/e2e (remotestorage.js 1.2.3 and 2.0.0-beta.10): `npm ci`
#     when tests/e2e/node_modules is missing or older than the lock file
# Playwright (NuGet) drives that Chromium; it never downloads a browser.
# Usage: bash tests/run.sh [extra dotnet test arguments, e.g. --filter Name~Put]
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -x "${PGBIN:-/usr/lib/postgresql/15/bin}/initdb" ]]; then
  echo "tests/run.sh: PostgreSQL 15 server binaries not found; install them with: apt-get install -y postgresql-15" >&2
  exit 1
fi
if ! command -v dotnet >/dev/null; then
  echo "tests/run.sh: the .NET 10 SDK is required (https://dot.net); 'dotnet' is not on PATH." >&2
  exit 1
fi

# Debian packages the e2e tests need: installed when we are root, else a clear failure.
apt_updated=0
need_deb() { # need_deb <command path or name> <packages...>
  local probe=$1; shift
  if [[ $probe == /* ]] && [[ -x $probe ]]; then return 0; fi
  if [[ $probe != /* ]] && command -v "$probe" >/dev/null; then return 0; fi
  if [[ $(id -u) != 0 ]]; then
    echo "tests/run.sh: $probe is missing (needed by the end-to-end tests); install it with: apt-get install -y $*" >&2
    exit 1
  fi
  echo "tests/run.sh: installing $* (apt-get)"
  if [[ $apt_updated == 0 ]]; then
    apt-get update -qq >/dev/null || { echo "tests/run.sh: apt-get update failed; install it with: apt-get install -y $*" >&2; exit 1; }
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null \
    || { echo "tests/run.sh: could not install $*; install it with: apt-get install -y $*" >&2; exit 1; }
}
need_deb /usr/bin/chromium chromium
need_deb node nodejs npm
need_deb npm npm

e2e=tests/e2e
if [[ ! -d $e2e/node_modules || $e2e/package-lock.json -nt $e2e/node_modules ]]; then
  echo "tests/run.sh: installing the e2e npm packages (npm ci in $e2e)"
  (cd "$e2e" && npm ci --no-audit --no-fund --loglevel=error) \
    || { echo "tests/run.sh: npm ci failed in $e2e; the end-to-end tests need its packages (remotestorage.js)." >&2; exit 1; }
  touch "$e2e/node_modules"
fi
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

work=$(mktemp -d /tmp/unhostedstore-tests.XXXXXX)
chmod 755 "$work"

stop_services() {
  if [[ -n "${S3_DATA_DIR:-}" ]]; then DIR="$S3_DATA_DIR" bash tests/services/start-swift.sh stop >/dev/null 2>&1 || true; fi
  DIR="$work/pg" bash tests/services/start-postgres.sh stop
  rm -rf "$work"
}
trap stop_services EXIT

# No fsync and no full-page images: they only guard against an operating-system crash, which no
# test makes. Each commit still reaches the server's WAL before it answers (synchronous_commit is
# on), so killing PostgreSQL or the server loses nothing a test was told is stored.
pg_out=$(DIR="$work/pg" PG_OPTIONS="-c fsync=off -c full_page_writes=off" bash tests/services/start-postgres.sh) || exit 1
eval "$pg_out"
echo "tests/run.sh: PostgreSQL on 127.0.0.1:$PG_PORT"
export UNHOSTEDSTORE_TEST_POSTGRES="$PG_CONNECTION;Maximum Pool Size=50"

swift_out=$(DIR="$work/swift" bash tests/services/start-swift.sh) || {
  echo "tests/run.sh: could not start the S3 server (OpenStack Swift)." >&2
  echo "Install it with: apt-get install -y python3-swift swift swift-proxy swift-account swift-container swift-object memcached" >&2
  exit 1
}
eval "$swift_out"
echo "tests/run.sh: S3 (Swift s3api) on $S3_ENDPOINT"
export UNHOSTEDSTORE_TEST_S3_ENDPOINT="$S3_ENDPOINT" UNHOSTEDSTORE_TEST_S3_ACCESS_KEY="$S3_ACCESS_KEY" \
  UNHOSTEDSTORE_TEST_S3_SECRET_KEY="$S3_SECRET_KEY" UNHOSTEDSTORE_TEST_S3_PIDS="$S3_PIDS"

log="$work/dotnet-test.log"
set +e
# A trx file as well: it keeps what the console leaves out, such as why a fixture failed to stop.
dotnet test UnhostedStore.sln --nologo --logger "trx;LogFilePrefix=run" --results-directory "$work/trx" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
if [[ $status != 0 ]] && compgen -G "$work/trx/*.trx" >/dev/null && command -v python3 >/dev/null; then
  # The run's own errors (class and collection cleanup failures), whole, with their stack traces.
  python3 - "$work"/trx/*.trx <<'PY'
import sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
for path in sys.argv[1:]:
    for info in ET.parse(path).getroot().iterfind(".//t:RunInfos/t:RunInfo", ns):
        if info.get("outcome") in ("Error", "Failed"):
            print("tests/run.sh: run error:", (info.findtext("t:Text", "", ns) or "").strip(), sep="\n")
PY
fi

# One plain summary line over all test projects.
passed=$(awk 'match($0, /Passed: +[0-9]+/) { split(substr($0, RSTART, RLENGTH), a, / +/); s += a[2] } END { print s + 0 }' "$log")
failed=$(awk 'match($0, /Failed: +[0-9]+/) { split(substr($0, RSTART, RLENGTH), a, / +/); s += a[2] } END { print s + 0 }' "$log")
echo "tests: ${passed:-0} passed, ${failed:-0} failed"
if [[ $status == 0 && ${passed:-0} == 0 ]]; then
  echo "tests/run.sh: no test ran" >&2
  exit 1
fi
exit "$status"
