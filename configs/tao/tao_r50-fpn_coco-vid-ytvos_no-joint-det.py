# Table 1 ablation, row 2 ("Joint Det Train?" no): COCO initialisation, then
# tracking pairs only (no detection samples in the batches).
_base_ = './tao_r50-fpn_coco-vid-ytvos_center.py'

train_dataloader = dict(sampler=dict(track_fraction=1.0))
