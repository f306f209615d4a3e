# The real2 fine-tune (tao_mbv2-fpn_416_any-object-real2.py) looking through
# the search region of tao_mbv2-fpn_320_any-object_search.py (SearchRegion:
# a window of 4 object sizes, objects outside 32-128 input pixels scaled
# into that band, widening while lost up to the whole frame): the demos'
# default (README "Search region").
_base_ = './tao_mbv2-fpn_416_any-object-real2.py'

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale_factor=1.0, keep_ratio=True),
    dict(type='PackSOTInputs')
]
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))

model = dict(
    test_cfg=dict(
        tracker=dict(
            type='SOTTracker',
            search=dict(
                type='SearchRegion',
                input_size=(416, 320),
                object_px=(32, 128),
                max_zoom=4.0,
                context=4.0,
                conf_thr=0.3,
                growth=1.5,
                size_momentum=0.5))))
