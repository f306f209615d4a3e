# Table 1 ablation, row 2 ("Joint Det Train?" no): COCO initialisation, then
# tracking pairs of the videos only: no detection samples and no COCO
# pseudo-pairs in the batches (the model sees no COCO image in training).
_base_ = './tao_r50-fpn_coco-vid-ytvos_center.py'

train_dataloader = dict(
    sampler=dict(
        track_fraction=1.0, track_sources=[0, 1], source_weights=[1., 1.]),
    dataset=dict(
        datasets=[{{_base_.vid_dataset}}, {{_base_.ytvos_dataset}}]))
