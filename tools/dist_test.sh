#!/usr/bin/env bash
# Usage: bash tools/dist_test.sh CONFIG CHECKPOINT NUM_PROCS [test.py args...]
# (the launcher, its python and environment variables: tools/dist_launch.sh;
# sourced, so that nothing outside bash is needed to find it)
case "$0" in
    */*) TOOLS="${0%/*}" ;;
    *) TOOLS=. ;;
esac
. "$TOOLS/dist_launch.sh" "$3" test.py "$1" "$2" --launcher pytorch "${@:4}"
