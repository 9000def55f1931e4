#!/usr/bin/env bash
# Cross-checks the strict EPP test registry against an independent client:
# builds and starts hack/eppregistry on 127.0.0.1, runs hack/epp-crosscheck.pl
# (Debian's libnet-epp-perl) against it, stops the registry, and exits with
# the Perl script's status. Needs libnet-epp-perl (apt-get install
# libnet-epp-perl).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! perl -MNet::EPP::Simple -e1 2>/dev/null; then
  echo "ERROR: the Perl module Net::EPP::Simple is missing; install Debian's libnet-epp-perl (apt-get install -y libnet-epp-perl)." >&2
  exit 1
fi

tmp=$(mktemp -d)
bin="${tmp}/eppregistry"
pid=""
cleanup() {
  if [[ -n "${pid}" ]]; then
    kill "${pid}" 2>/dev/null || true
    wait "${pid}" 2>/dev/null || true
  fi
  rm -rf "${tmp}"
}
trap cleanup EXIT

# Build first and run the binary, so that the PID below is the registry's own
# (killing `go run` would leave its child running).
go build -o "${bin}" ./hack/eppregistry
"${bin}" -dir "${tmp}/run" >"${tmp}/registry.log" 2>&1 &
pid=$!

for _ in $(seq 1 100); do
  [[ -s "${tmp}/run/addr" ]] && break
  if ! kill -0 "${pid}" 2>/dev/null; then
    echo "ERROR: the registry exited early:" >&2
    cat "${tmp}/registry.log" >&2
    exit 1
  fi
  sleep 0.1
done
if [[ ! -s "${tmp}/run/addr" ]]; then
  echo "ERROR: the registry did not write ${tmp}/run/addr within 10 s" >&2
  cat "${tmp}/registry.log" >&2
  exit 1
fi
echo "registry at $(cat "${tmp}/run/addr")"

status=0
perl hack/epp-crosscheck.pl "${tmp}/run" || status=$?
exit "${status}"
