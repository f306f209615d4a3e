#!/usr/bin/env bash
# Usage: bash tools/dist_launch.sh NUM_PROCS TOOL [TOOL args...]
# What tools/dist_train.sh and tools/dist_test.sh source: torch.distributed.run
# with NUM_PROCS processes of tools/TOOL (train.py, test.py). Runs the
# repository's .venv/bin/python when it exists (activated or not), else the
# python on PATH (or $PYTHON if set). Without CUDA the processes use gloo.
GPUS=$1
TOOL=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}

# $0 is the script run (this one, or dist_train.sh / dist_test.sh that
# source it): all live in tools/
case "$0" in
    */*) TOOLS="${0%/*}" ;;
    *) TOOLS=. ;;
esac
REPO="$(cd "$TOOLS/.." && pwd)"
if [ -z "$PYTHON" ]; then
    if [ -x "$REPO/.venv/bin/python" ]; then
        PYTHON="$REPO/.venv/bin/python"
    else
        PYTHON=python
    fi
fi

PYTHONPATH="$REPO":$PYTHONPATH \
"$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$GPUS" \
    --master_port="$PORT" \
    "$REPO/tools/$TOOL" \
    "${@:3}"
