# mix-crop (tao_mbv2-fpn_416_any-object-mix-crop.py) continued for another
# 1200 iterations on the same two real worlds, same crops, sampler and
# schedule (a warm restart of its LR): does more of the in-context world
# keep paying on real objects? README "Training".
_base_ = './tao_mbv2-fpn_416_any-object-mix-crop.py'

load_from = 'checkpoints/tao_mbv2-fpn_416_any-object-mix-crop_fp16.pth'
