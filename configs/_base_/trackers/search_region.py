# The search region of issue 19 (README "Search region";
# mmtao/models/trackers/search_region.py), shared by the *_search configs:
# the network sees a window of 4 object sizes around the object instead of
# the whole frame, objects outside 32-128 input pixels scaled into that
# band; the window widens while the object is not seen confidently, up to
# the whole frame (the paper's re-detection). Settings chosen on
# data/world/val_seen. A config takes both pieces:
#   test_pipeline = {{_base_.search_test_pipeline}}
#   test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
#   model = dict(test_cfg=dict(tracker={{_base_.search_tracker}}))

# frames at their own resolution: the tracker resamples its window from
# them (a magnified window of a 416x312 frame would be blurred)
search_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale_factor=1.0, keep_ratio=True),
    dict(type='PackSOTInputs')
]
search_tracker = dict(
    type='SOTTracker',
    search=dict(
        type='SearchRegion',
        input_size=(416, 320),
        object_px=(32, 128),
        max_zoom=4.0,
        context=4.0,
        conf_thr=0.3,
        growth=1.5,
        size_momentum=0.5))
# The drawn first box's convention (mmtao/models/trackers/box_convention.py,
# README "Box convention"): tolerance chosen on val_seen and on the
# train-pool shortcut probe (targets boxed by their region, not by the
# detector). The search tracker with it:
#   model = dict(test_cfg=dict(tracker={{_base_.search_convention_tracker}}))
box_convention = dict(type='BoxConvention', tolerance=0.05)
search_convention_tracker = dict(search_tracker, box_convention=box_convention)
# K objects (README "K objects"): a window per object where one window of
# all would cost more pixels or shrink an object (split_windows), and one
# place per track (exclusive: no two tracks on boxes of IoU >= 0.7); both
# act only with two or more objects. Chosen on the multi-object tuning
# splits (tools/analysis/multi_object_world.py on val_seen, val_seen2):
#   model = dict(test_cfg=dict(tracker={{_base_.k_object_tracker}}))
k_object_tracker = dict(
    search_convention_tracker,
    search=dict(search_tracker['search'], split_windows=True),
    exclusive=True,
    assignment_iou=0.7)
# The demos' default (tao_mbv2-fpn_416_any-object-mix-crop_search.py): the
# K-object tracker with objects under 48 input pixels magnified to 48 (at
# most max_zoom), chosen on the real-motion tuning split and val_seen
# (README "Search band"): a small static object among look-alike things is
# boxed whole when the network sees it larger.
band48_tracker = dict(
    k_object_tracker,
    search=dict(k_object_tracker['search'], object_px=(48, 128)))
