# The any-object CPU tracker with the identity-keeping tracker of issue 19
# (README "Keeping the identity"): the same checkpoint and network as
# tao_mbv2-fpn_320_any-object.py; only the per-frame choice differs.
# Each part is an option of IdentityTracker (mmtao/models/trackers); the
# settings were chosen on the seen split (data/world/val_seen), never on
# val_unseen or the real-video benchmark.
_base_ = './tao_mbv2-fpn_320_any-object.py'

model = dict(
    test_cfg=dict(
        tracker=dict(
            type='IdentityTracker',
            # first-frame positives where the model's own mask of the box is
            init_positives='mask',
            init_grid=5,
            # template memory, re-solved in closed form (ridge, Eq. 1-3)
            memory=dict(
                max_pos_updates=4,
                max_neg_updates=8,
                update_weight=0.5,
                hard_neg_weight=1.0,
                decay=1.0),
            update=dict(gate=0.5, interval=5, grid=3),
            hard_negatives=dict(min_score=0.3, max_iou=0.3, num=2),
            others_as_negatives=True,
            # candidates re-scored by distance from the last confident place
            motion=dict(
                type='MotionPrior',
                sigma=1.0,
                growth=0.5,
                max_sigma=10.0,
                floor=0.2),
            motion_gate=0.4,
            # one place per object when tracking K >= 2
            exclusive=True,
            # presence = logistic of (logit detector score, similarity of
            # the first-frame / current template under the chosen mask,
            # motion factor), fitted on 8 sequences of data/world/val_seen
            # by tools/analysis/fit_presence.py (threshold of the best
            # TPR-TNR geometric mean moved to 0.5)
            presence=dict(
                type='PresenceCalibration',
                cues=['logit_score', 'sim_first', 'sim_now', 'motion'],
                weights=[0.5391, 5.0762, -4.0954, 2.91],
                bias=-3.0893))))
