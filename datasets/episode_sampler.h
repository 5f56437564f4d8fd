// Where episodes come from.
//
// FixedEpisodes: validation and test episodes.  Episode i of split s is drawn
// from its own Rng seeded by (eval.seed, s, i) -- never by the run's seed --
// so every algorithm and every seed is evaluated on exactly the same
// episodes, any episode can be regenerated alone, and checksum() identifies
// the whole set (recorded with every run, so a reader can verify that two
// runs saw the same test episodes).
//
// TrainingStream: meta-training episodes, one sequential stream seeded by the
// run's seed.  With augmentation (datasets/augment.h), each episode's images
// are augmented from an Rng seeded by the stream's position before the
// episode: the same episodes are drawn with augmentation on or off, and a
// stream sought to a snapshot's position augments exactly as before.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "datasets/augment.h"
#include "metabench/dataset.h"

namespace metabench {

class FixedEpisodes {
 public:
  // Throws DatasetError when the split cannot supply `shape`.
  FixedEpisodes(const Dataset& dataset, Split split, EpisodeShape shape, uint64_t eval_seed,
                int64_t count);
  Episode get(int64_t index) const;
  int64_t size() const { return count_; }
  const std::string& checksum() const { return checksum_; }

 private:
  uint64_t episode_seed(int64_t index) const;
  const Dataset& dataset_;
  Split split_;
  EpisodeShape shape_;
  uint64_t eval_seed_;
  int64_t count_;
  std::string checksum_;
};

class TrainingStream {
 public:
  TrainingStream(const Dataset& dataset, EpisodeShape shape, uint64_t run_seed,
                 AugmentOptions augment = {});
  Episode next();
  // The stream's position (its Rng), for training snapshots.
  std::array<uint64_t, 4> position() const { return rng_.state(); }
  void seek(const std::array<uint64_t, 4>& position) { rng_.set_state(position); }

 private:
  const Dataset& dataset_;
  EpisodeShape shape_;
  Rng rng_;
  AugmentOptions augment_;
};

}  // namespace metabench
