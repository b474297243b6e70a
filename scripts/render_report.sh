#!/bin/sh
# Renders a clearplan report.html to a PNG with headless Chromium.
#   scripts/render_report.sh REPORT.html OUT.png [WIDTH [HEIGHT]]
# Exit status: 0 ok, 1 rendering failed, 2 usage or Chromium missing. No network is used:
# the report is self-contained and Chromium runs with networking features off.
set -eu
if [ $# -lt 2 ]; then
    echo "usage: $0 REPORT.html OUT.png [WIDTH [HEIGHT]]" >&2
    exit 2
fi
report=$1
out=$2
width=${3:-1280}
height=${4:-2400}
chrome=""
for c in "${CHROMIUM:-}" chromium chromium-browser google-chrome; do
    if [ -n "$c" ] && command -v "$c" >/dev/null 2>&1; then
        chrome=$c
        break
    fi
done
if [ -z "$chrome" ]; then
    echo "render_report.sh: error: chromium not found (install the Debian package chromium)" >&2
    exit 2
fi
if [ ! -r "$report" ]; then
    echo "render_report.sh: error: cannot read $report" >&2
    exit 1
fi
case $report in
    /*) url="file://$report" ;;
    *) url="file://$(pwd)/$report" ;;
esac
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT INT TERM
rm -f "$out"
# --no-sandbox: Chromium refuses to run as root otherwise (containers, CI).
timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --disable-dev-shm-usage --hide-scrollbars --user-data-dir="$profile" \
    --window-size="$width,$height" --screenshot="$out" "$url" >/dev/null 2>&1 || true
if [ ! -s "$out" ]; then
    echo "render_report.sh: error: chromium wrote no screenshot for $report" >&2
    exit 1
fi
