#!/usr/bin/env bash
# Install the servers the tests use (Prometheus, Alertmanager, promtool, amtool; PostgreSQL for the
# lake's shared catalog; Chromium and poppler-utils for the briefing) from Debian's packages when they are missing. Needs root (or passwordless
# sudo) the first time.
set -euo pipefail
missing=()
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v amtool >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)  # prints the briefing to PDF; its test opens the page
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)  # the briefing test reads the PDF's pages and text
[ ${#missing[@]} -eq 0 ] && exit 0
package_servers() {  # the pids running Debian's Prometheus or Alertmanager binaries
    local exe pid
    for exe in /proc/[0-9]*/exe; do
        case "$(readlink "$exe" 2>/dev/null)" in
            /usr/bin/prometheus | /usr/bin/prometheus-alertmanager)
                pid=${exe#/proc/}
                echo "${pid%/exe}"
                ;;
        esac
    done
}
running_before=" $(package_servers | tr '\n' ' ') "
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo -n"
echo "installing ${missing[*]} from Debian's packages"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The packages start their services where they can; the tests start their own servers. Stop only
# what the installation started: a Prometheus or Alertmanager that ran before it is someone's own.
for pid in $(package_servers); do
    [[ "$running_before" == *" $pid "* ]] || kill "$pid" 2>/dev/null || true
done
# Debian's postgresql starts its default cluster where it can: stop that one only (the tests run their own).
if [[ " ${missing[*]} " == *" postgresql "* ]] && command -v pg_ctlcluster >/dev/null; then
    for cluster in /etc/postgresql/*/main; do
        [ -d "$cluster" ] && pg_ctlcluster "$(basename "$(dirname "$cluster")")" main stop 2>/dev/null || true
    done
fi
command -v promtool >/dev/null && command -v amtool >/dev/null && ls /usr/lib/postgresql/*/bin/initdb >/dev/null
command -v chromium >/dev/null && command -v pdftotext >/dev/null
