// Training mode: whether a backbone's stochastic regularisers (DropBlock)
// are on, and the random stream they draw from.
//
// Batch norm in metabench has no training/evaluation difference (it always
// uses batch statistics: metabench/backbone.h), so the only thing that
// differs between meta-training and evaluation is a regulariser that draws
// random numbers.  The harness opens a TrainingMode around each
// meta_train_step() call.  Outside one (validation, test, fine-tuning a head
// on a test task's support set, most unit tests) TrainingMode::current() is
// null and every backbone is deterministic.
//
// The harness seeds each iteration's mode from the training stream's
// position and the process rank, so a run resumed from a snapshot draws the
// same masks as one never interrupted, and the draws never depend on
// anything but the run's seed.  The masks of a run split over several
// processes (`run --nproc`) differ from a one-process run's, as the
// processes draw for their own shares.
#pragma once

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace metabench {

class TrainingMode {
 public:
  // Active on this thread until destroyed (modes nest; the innermost is
  // current).  progress: the iteration being trained over the run's
  // iterations, in (0, 1], for regularisers whose strength is scheduled.
  TrainingMode(uint64_t seed, double progress);
  ~TrainingMode();
  TrainingMode(const TrainingMode&) = delete;
  TrainingMode& operator=(const TrainingMode&) = delete;

  // The innermost mode active on this thread, or null outside training.
  static TrainingMode* current();

  double progress() const { return progress_; }
  // Independent Bernoulli(p) draws of shape `sizes`, as float32 on the CPU,
  // from this mode's generator: the same seed gives the same sequence of
  // draws on every device and thread count.
  at::Tensor bernoulli(at::IntArrayRef sizes, double p);

 private:
  at::Generator generator_;
  double progress_;
  TrainingMode* outer_;
};

}  // namespace metabench
