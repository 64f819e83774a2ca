#!/usr/bin/env bash
# Hostile mail against `defectd parse`: every file still gets its JSON line, the
# run goes on, limits hold.  Usage: run.sh path/to/defectd
exec /usr/bin/python3 "$(dirname "$0")/hostile.py" "${1:-build/san/defectd}"
