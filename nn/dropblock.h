// DropBlock (Ghiasi et al., NeurIPS 2018), and plain dropout, for training only.
//
// DropBlock (Ghiasi et al., NeurIPS 2018): a dropout for convolutional maps
// that zeroes b x b squares of each channel instead of single positions,
// then rescales what is kept so the map's expected sum is unchanged.
//
// Block centres are drawn with probability
//   gamma = rate / b^2 * H W / ((H - b + 1) (W - b + 1)),
// the paper's formula, on the (H - b + 1) x (W - b + 1) positions where a
// whole block fits (as in Lee et al.'s MetaOptNet code); a drawn position
// (i, j) zeroes rows i..i+b-1 and columns j..j+b-1.  The kept values are
// multiplied by (number of values) / (number kept) over the whole tensor.
// The mask is a constant: gradients flow through the kept values only, of
// any order.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace metabench {

// x: [N, C, H, W].  Returns x itself outside a TrainingMode
// (metabench/training_mode.h) or when rate is 0; else x with blocks of
// min(block_size, H, W) dropped, drawn from the mode's generator.
// Requires 0 <= rate < 1 and block_size >= 1.
at::Tensor drop_block(const at::Tensor& x, double rate, int64_t block_size);

// `rate` rising linearly from 0 over the first `ramp` of training
// (progress in (0, 1]; MetaOptNet raises its rate over its first 2/3), or
// `rate` throughout when ramp is 0.
double scheduled_drop_rate(double rate, double ramp, double progress);

// Plain dropout during meta-training: inside a TrainingMode, each value is
// kept with probability 1 - rate and scaled by 1 / (1 - rate); x itself
// outside one or when rate is 0.  Requires 0 <= rate < 1.
at::Tensor training_dropout(const at::Tensor& x, double rate);

}  // namespace metabench
