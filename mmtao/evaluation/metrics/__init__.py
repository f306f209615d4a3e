# Copyright (c) mmtao contributors. All rights reserved.
from .base_sot_metric import BaseSOTMetric
from .davis_metric import DAVISMetric
from .got10k_metric import GOT10kMetric
from .oxuva_metric import OxUvAMetric
from .sot_metric import SOTMetric
from .vot_lt_metric import VOTLTMetric

__all__ = [
    'BaseSOTMetric', 'SOTMetric', 'GOT10kMetric', 'OxUvAMetric',
    'VOTLTMetric', 'DAVISMetric'
]
