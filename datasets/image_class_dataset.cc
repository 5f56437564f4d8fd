#include "datasets/image_class_dataset.h"

#include <ATen/ATen.h>

#include <algorithm>

#include "metabench/errors.h"

namespace metabench {

ImageClassDataset::ImageClassDataset(std::string name, at::Tensor images,
                                     std::vector<std::vector<int64_t>> class_examples,
                                     std::array<std::vector<int64_t>, 3> split_classes,
                                     std::string source_checksum)
    : name_(std::move(name)),
      images_(images.contiguous()),
      class_examples_(std::move(class_examples)),
      split_classes_(std::move(split_classes)),
      source_checksum_(std::move(source_checksum)) {
  if (images_.scalar_type() != at::kByte || images_.dim() != 4) {
    throw InternalError("ImageClassDataset expects uint8 images [N, C, H, W]");
  }
  Sha256 h;
  h.update("metabench-image-classes-v1");
  h.update(images_.sizes().data(), images_.dim() * sizeof(int64_t));
  h.update(images_.data_ptr<uint8_t>(), static_cast<size_t>(images_.numel()));
  for (const auto& examples : class_examples_) {
    h.update_value(static_cast<int64_t>(examples.size()));
    h.update(examples.data(), examples.size() * sizeof(int64_t));
  }
  for (const auto& classes : split_classes_) {
    h.update_value(static_cast<int64_t>(classes.size()));
    h.update(classes.data(), classes.size() * sizeof(int64_t));
  }
  checksum_ = h.hex_digest();
}

std::vector<int64_t> ImageClassDataset::input_shape() const {
  return {images_.size(1), images_.size(2), images_.size(3)};
}

int64_t ImageClassDataset::num_classes(Split split) const {
  return static_cast<int64_t>(split_classes_[static_cast<int>(split)].size());
}

std::string ImageClassDataset::describe() const {
  return std::to_string(num_classes(Split::kTrain)) + " train / " +
         std::to_string(num_classes(Split::kValidation)) + " val / " +
         std::to_string(num_classes(Split::kTest)) + " test classes, " +
         std::to_string(images_.size(0)) + " images of " + std::to_string(images_.size(1)) + "x" +
         std::to_string(images_.size(2)) + "x" + std::to_string(images_.size(3));
}

void ImageClassDataset::check_shape(Split split, const EpisodeShape& shape) const {
  const auto& classes = split_classes_[static_cast<int>(split)];
  if (classes.empty()) {
    throw DatasetError("dataset '" + name_ + "' has no " + split_name(split) + " classes (" +
                       describe() + ")" +
                       (split == Split::kTest ? ""
                                              : "; an evaluation-only dataset is used with "
                                                "`metabench eval --checkpoint PATH --dataset " +
                                                    name_ + "`"));
  }
  if (static_cast<int64_t>(classes.size()) < shape.ways) {
    throw DatasetError("dataset '" + name_ + "': the " + split_name(split) + " split has " +
                       std::to_string(classes.size()) + " classes, fewer than the " +
                       std::to_string(shape.ways) + " ways requested");
  }
  size_t smallest = SIZE_MAX;
  for (int64_t c : classes) smallest = std::min(smallest, class_examples_[c].size());
  const int64_t needed = shape.shots + shape.queries;
  if (static_cast<int64_t>(smallest) < needed) {
    throw DatasetError("dataset '" + name_ + "': a class of the " + split_name(split) +
                       " split has " + std::to_string(smallest) + " examples, fewer than the " +
                       std::to_string(needed) + " (shots + queries) an episode needs");
  }
}

Episode ImageClassDataset::sample(Split split, const EpisodeShape& shape, Rng& rng,
                                  Sha256* fingerprint) const {
  std::vector<int64_t> classes = split_classes_[static_cast<int>(split)];
  // Partial Fisher-Yates: the first `ways` entries become a uniform sample.
  std::vector<int64_t> position(classes.size());
  for (size_t i = 0; i < position.size(); ++i) position[i] = static_cast<int64_t>(i);
  for (int64_t i = 0; i < shape.ways; ++i) {
    const auto j = i + static_cast<int64_t>(rng.uniform_int(classes.size() - i));
    std::swap(classes[i], classes[j]);
    std::swap(position[i], position[j]);
  }
  std::vector<int64_t> support, query, support_labels, query_labels, positions;
  support.reserve(shape.ways * shape.shots);
  query.reserve(shape.ways * shape.queries);
  for (int64_t label = 0; label < shape.ways; ++label) {
    positions.push_back(position[label]);
    std::vector<int64_t> examples = class_examples_[classes[label]];
    const int64_t take = shape.shots + shape.queries;
    for (int64_t i = 0; i < take; ++i) {
      const auto j = i + static_cast<int64_t>(rng.uniform_int(examples.size() - i));
      std::swap(examples[i], examples[j]);
    }
    for (int64_t i = 0; i < shape.shots; ++i) {
      support.push_back(examples[i]);
      support_labels.push_back(label);
    }
    for (int64_t i = shape.shots; i < take; ++i) {
      query.push_back(examples[i]);
      query_labels.push_back(label);
    }
    if (fingerprint) {
      fingerprint->update_value(classes[label]);
      fingerprint->update(examples.data(), take * sizeof(int64_t));
    }
  }
  auto gather = [&](const std::vector<int64_t>& idx) {
    const at::Tensor index = at::tensor(idx, at::kLong);
    return images_.index_select(0, index).to(at::kFloat).div_(255.0);
  };
  return Episode{gather(support), at::tensor(support_labels, at::kLong),
                 gather(query),   at::tensor(query_labels, at::kLong),
                 shape.ways,      at::tensor(positions, at::kLong)};
}

}  // namespace metabench
