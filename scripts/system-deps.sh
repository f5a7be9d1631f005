#!/usr/bin/env bash
# Installs the Debian packages the test suite needs when they are missing:
# WeasyPrint's Pango/HarfBuzz libraries and fonts, Chromium for the browser tests,
# poppler-utils for the pack tests (pdfinfo), and redis-server for the fault tests' private Redis (tests/celery_worker.py), which they stop and start.
set -euo pipefail
need=()
dpkg -s libpango-1.0-0 >/dev/null 2>&1 || need+=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)
dpkg -s fonts-dejavu-core >/dev/null 2>&1 || need+=(fonts-dejavu-core)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/pdfinfo ] || need+=(poppler-utils)  # the pack tests read Tagged and fonts back with pdfinfo/pdffonts
[ -x /usr/bin/redis-server ] || need+=(redis-server)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
echo "Installing Debian packages: ${need[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
