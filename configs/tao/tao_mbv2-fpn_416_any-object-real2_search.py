# The real2 fine-tune (tao_mbv2-fpn_416_any-object-real2.py) looking through
# the search region (README "Search region";
# configs/_base_/trackers/search_region.py): the demos' default.
_base_ = [
    './tao_mbv2-fpn_416_any-object-real2.py',
    '../_base_/trackers/search_region.py'
]

test_pipeline = {{_base_.search_test_pipeline}}
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
model = dict(test_cfg=dict(tracker={{_base_.search_tracker}}))
