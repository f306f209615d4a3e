# The "Ours w/o temporal" rows: the same tracker without the temporal
# heuristic, i.e. the top-scoring detection of every frame is the track.
_base_ = './tao_r50-fpn_got10k.py'

model = dict(test_cfg=dict(temporal=None))
