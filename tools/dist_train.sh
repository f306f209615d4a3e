#!/usr/bin/env bash
# Usage: bash tools/dist_train.sh CONFIG NUM_PROCS [train.py args...]
# (the launcher, its python and environment variables: tools/dist_launch.sh;
# sourced, so that nothing outside bash is needed to find it)
case "$0" in
    */*) TOOLS="${0%/*}" ;;
    *) TOOLS=. ;;
esac
. "$TOOLS/dist_launch.sh" "$2" train.py "$1" --launcher pytorch "${@:3}"
