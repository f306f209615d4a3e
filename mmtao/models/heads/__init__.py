# Copyright (c) mmtao contributors. All rights reserved.
from .ridge_template_head import RidgeTemplateHead, check_template_bboxes

__all__ = ['RidgeTemplateHead', 'check_template_bboxes']
