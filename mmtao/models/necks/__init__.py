# Copyright (c) mmtao contributors. All rights reserved.
from .template_attention_neck import TemplateAttentionNeck

__all__ = ['TemplateAttentionNeck']
