# Table 1 ablation: the template T_d = 'center' instead of the ridge
# regression of Eq. 1-3 (see RidgeTemplateHead for the definition).
_base_ = './tao_r50-fpn_coco-vid-ytvos.py'

model = dict(template_head=dict(strategy='center'))
