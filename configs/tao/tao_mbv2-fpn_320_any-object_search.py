# The any-object CPU tracker looking through a search region (README
# "Search region"; configs/_base_/trackers/search_region.py): the same
# checkpoint and network as tao_mbv2-fpn_320_any-object.py, the network sees
# a window around the object instead of the whole frame.
_base_ = [
    './tao_mbv2-fpn_320_any-object.py',
    '../_base_/trackers/search_region.py'
]

test_pipeline = {{_base_.search_test_pipeline}}
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
model = dict(test_cfg=dict(tracker={{_base_.search_tracker}}))
