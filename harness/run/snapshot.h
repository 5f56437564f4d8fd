// Training snapshots: everything a run needs to continue where it stopped.
//
// A snapshot is taken between meta-iterations (or during a validation, which
// is then marked pending and run again on resume), so it never holds half an
// update.  It holds the algorithm's state() and training_state(), the
// training stream's position, LibTorch's CPU generator state, the loop's
// running sums (the training-curve window, the best validation score and
// the best state itself, so the best checkpoint can be rewritten exactly),
// and the time spent so far.  A run resumed from one records the same
// numbers, bit for bit on CPU, as a run never interrupted.  Files are
// torch.save() dictionaries (nn/torch_file.h), written atomically (temporary
// file, fsync, rename, fsync of the folder), so a kill while one is written
// leaves the previous snapshot whole.
#pragma once

#include <ATen/core/Tensor.h>

#include <array>
#include <cstdint>
#include <string>

#include "metabench/param_set.h"

namespace metabench {

struct TrainingSnapshot {
  std::string config_hash;
  std::string config_yaml;
  int64_t iteration = 0;            // meta-iterations completed
  bool validation_pending = false;  // the validation after `iteration` is still to run

  NamedTensors state;     // Algorithm::state()
  NamedTensors training;  // Algorithm::training_state()
  NamedTensors best;      // the best-on-validation state so far; empty before one
  std::array<uint64_t, 4> stream_position{};
  at::Tensor torch_generator;  // at's default CPU generator, as get_state() gives it

  // The training-curve window since the last logged point.
  double window_loss = 0, window_accuracy = 0;
  int64_t window_size = 0;
  double last_finite_loss = 0;
  double best_loss = 0, best_accuracy = 0;
  int64_t best_step = 0;
  double train_seconds = 0, val_seconds = 0, elapsed_seconds = 0;
};

void save_snapshot(const std::string& path, const TrainingSnapshot& snapshot);
// Throws UserError naming the path for a missing, damaged or foreign file.
TrainingSnapshot load_snapshot(const std::string& path);
TrainingSnapshot parse_snapshot(const std::string& data, const std::string& path);

// Where run `run_uuid`'s snapshot goes, beside its best checkpoint
// `checkpoint` (run-UUID-best.ckpt -> run-UUID-snapshot.pt).
std::string snapshot_path_for(const std::string& checkpoint);

}  // namespace metabench
