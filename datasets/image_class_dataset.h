// An in-memory few-shot image dataset: every example stored once as uint8
// pixels, grouped into classes, with each class in exactly one split.  All
// image datasets (synthetic, Omniglot, miniImageNet, ...) decode into this,
// so they share one episode sampler and one checksum definition.
#pragma once

#include <ATen/core/Tensor.h>

#include <array>
#include <string>
#include <vector>

#include "metabench/dataset.h"

namespace metabench {

class ImageClassDataset : public Dataset {
 public:
  // images: uint8 [N, C, H, W] with 0 = background, 255 = full ink/intensity.
  // class_examples[c]: indices into `images` of class c's examples.
  // split_classes[s]: the classes of split s (train, val, test); disjoint.
  // The checksum covers the pixels, the class membership and the splits;
  // `source_checksum` identifies the files it was decoded from ("" when
  // generated in memory).
  ImageClassDataset(std::string name, at::Tensor images,
                    std::vector<std::vector<int64_t>> class_examples,
                    std::array<std::vector<int64_t>, 3> split_classes,
                    std::string source_checksum = "");

  TaskKind kind() const override { return TaskKind::kClassification; }
  std::vector<int64_t> input_shape() const override;
  std::string checksum() const override { return checksum_; }
  std::string source_checksum() const override { return source_checksum_; }
  std::string describe() const override;
  void check_shape(Split split, const EpisodeShape& shape) const override;
  Episode sample(Split split, const EpisodeShape& shape, Rng& rng,
                 Sha256* fingerprint) const override;

  int64_t num_classes(Split split) const override;

 private:
  std::string name_;
  at::Tensor images_;
  std::vector<std::vector<int64_t>> class_examples_;
  std::array<std::vector<int64_t>, 3> split_classes_;
  std::string checksum_;
  std::string source_checksum_;
};

}  // namespace metabench
