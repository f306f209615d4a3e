# The real2-crop fine-tune (tao_mbv2-fpn_416_any-object-real2-crop.py:
# trained on pair frames cropped as the search region crops test frames)
# looking through the search region (README "Search region";
# configs/_base_/trackers/search_region.py), as
# tao_mbv2-fpn_416_any-object-real2_search.py does for real2, and reporting
# boxes in the drawn first box's convention (README "Box convention": on
# for this checkpoint, which it helps on both tuning splits; not for real2).
_base_ = [
    './tao_mbv2-fpn_416_any-object-real2-crop.py',
    '../_base_/trackers/search_region.py'
]

test_pipeline = {{_base_.search_test_pipeline}}
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
model = dict(test_cfg=dict(tracker={{_base_.search_convention_tracker}}))
