#!/usr/bin/env bash
# Install Debian packages: deps.sh [--if-missing] PKG...
# With --if-missing, apt-get runs only when some package is not installed yet.
set -eu
if_missing=0
if [ "${1:-}" = "--if-missing" ]; then if_missing=1; shift; fi
missing=()
for p in "$@"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "$if_missing" = 1 ] && [ "${#missing[@]}" -eq 0 ]; then
	exit 0
fi
pkgs=("$@")
[ "$if_missing" = 1 ] && pkgs=("${missing[@]}")
if [ "$(id -u)" -ne 0 ]; then
	echo "defectd: these Debian packages are needed: ${pkgs[*]}" >&2
	echo "defectd: run 'make deps' as root (or: sudo apt-get install ${pkgs[*]})" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "installing: ${pkgs[*]}"
# services must not start on install (policy-rc.d): tests start their own
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
