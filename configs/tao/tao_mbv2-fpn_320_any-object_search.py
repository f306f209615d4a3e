# The any-object CPU tracker looking through a search region (README
# "Search region"): the same checkpoint and network as
# tao_mbv2-fpn_320_any-object.py; the network sees a window of 4 object
# sizes around the object instead of the whole frame, small / large objects
# scaled to 32-128 input pixels across (SearchRegion,
# mmtao/models/trackers). The window widens while the object is not seen
# confidently, up to the whole frame (the paper's re-detection). Settings
# chosen on data/world/val_seen.
_base_ = './tao_mbv2-fpn_320_any-object.py'

# frames at their own resolution: the tracker resamples its window from
# them (a magnified window of a 416x312 frame would be blurred)
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
