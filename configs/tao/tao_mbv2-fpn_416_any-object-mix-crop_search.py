# The mix-crop fine-tune (tao_mbv2-fpn_416_any-object-mix-crop.py: the
# real2-crop model continued on both real worlds, ~75 % in-context targets)
# through the tracker of tao_mbv2-fpn_416_any-object-real2-crop_search.py:
# the search region and the drawn box's convention (README "Training"),
# and each candidate's box regressed once more by the box head
# (refine_iters; README "Box refinement"), chosen on the two tuning splits;
# with K >= 2 objects, a window per object and one place per track
# (k_object_tracker; README "K objects"), chosen on the multi-object ones;
# objects under 48 input pixels magnified to 48 (band48_tracker; README
# "Search band"), chosen on the real-motion tuning split and val_seen.
_base_ = [
    './tao_mbv2-fpn_416_any-object-mix-crop.py',
    '../_base_/trackers/search_region.py'
]

test_pipeline = {{_base_.search_test_pipeline}}
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
model = dict(
    test_cfg=dict(
        track=dict(rcnn=dict(refine_iters=1)),
        tracker={{_base_.band48_tracker}}))
