#include "datasets/episode_sampler.h"

namespace metabench {
namespace {
constexpr uint64_t kTrainingStreamTag = 0x747261696eull;  // "train"
}

FixedEpisodes::FixedEpisodes(const Dataset& dataset, Split split, EpisodeShape shape,
                             uint64_t eval_seed, int64_t count)
    : dataset_(dataset), split_(split), shape_(shape), eval_seed_(eval_seed), count_(count) {
  dataset.check_shape(split, shape);
  Sha256 h;
  h.update("metabench-episodes-v1");
  h.update(dataset.checksum());
  h.update(split_name(split));
  h.update_value(shape.ways);
  h.update_value(shape.shots);
  h.update_value(shape.queries);
  h.update_value(count);
  for (int64_t i = 0; i < count; ++i) {
    Rng rng(episode_seed(i));
    dataset.sample(split, shape, rng, &h);
  }
  checksum_ = h.hex_digest();
}

uint64_t FixedEpisodes::episode_seed(int64_t index) const {
  return derive_seed({eval_seed_, static_cast<uint64_t>(split_), static_cast<uint64_t>(index)});
}

Episode FixedEpisodes::get(int64_t index) const {
  Rng rng(episode_seed(index));
  return dataset_.sample(split_, shape_, rng, nullptr);
}

TrainingStream::TrainingStream(const Dataset& dataset, EpisodeShape shape, uint64_t run_seed,
                               AugmentOptions augment)
    : dataset_(dataset),
      shape_(shape),
      rng_(derive_seed({run_seed, kTrainingStreamTag})),
      augment_(augment) {
  dataset.check_shape(Split::kTrain, shape);
}

Episode TrainingStream::next() {
  if (!augment_.enabled()) return dataset_.sample(Split::kTrain, shape_, rng_, nullptr);
  const std::array<uint64_t, 4> before = rng_.state();
  Rng augment_rng(derive_seed({before[0], before[1], before[2], before[3]}));
  Episode e = dataset_.sample(Split::kTrain, shape_, rng_, nullptr);
  augment_episode(e, augment_, augment_rng);
  return e;
}

}  // namespace metabench
