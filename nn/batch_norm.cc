#include "nn/batch_norm.h"

#include <ATen/ATen.h>

namespace metabench {

at::Tensor batch_norm_train(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                            double eps) {
  // A one-channel map is contiguous in both layouts, and LibTorch runs it
  // as NCHW: nothing to gain, so it keeps LibTorch's own path too.
  if (x.dim() != 4 || x.size(1) == 1 || !x.is_contiguous(at::MemoryFormat::ChannelsLast)) {
    return at::batch_norm(x, weight, bias, /*running_mean=*/{}, /*running_var=*/{},
                          /*training=*/true, /*momentum=*/0.0, eps, /*cudnn_enabled=*/true);
  }
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  // [N, H, W, C] is the memory order: both reshapes are views.
  const at::Tensor rows = x.permute({0, 2, 3, 1}).reshape({n * h * w, c});
  const at::Tensor y = at::batch_norm(rows, weight, bias, {}, {}, /*training=*/true,
                                      /*momentum=*/0.0, eps, /*cudnn_enabled=*/true);
  return y.view({n, h, w, c}).permute({0, 3, 1, 2});
}

}  // namespace metabench
