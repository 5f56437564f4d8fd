// The dataset interface and its registry.
//
// A Dataset produces episodes from one of three disjoint splits.  Every
// random choice comes from the Rng the caller passes, so the caller decides
// which episodes are reproducible: the harness draws validation and test
// episodes from a dedicated evaluation seed (see episode_sampler.h), never
// from the run's seed.  Implementations are registered by stable name with
// METABENCH_REGISTER_DATASET; their typed options live under `data.` in
// configs (metabench/options.h).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "metabench/episode.h"
#include "metabench/options.h"
#include "metabench/registry.h"
#include "metabench/rng.h"
#include "metabench/schema.h"
#include "metabench/sha256.h"

namespace metabench {

class Dataset {
 public:
  virtual ~Dataset() = default;

  virtual TaskKind kind() const = 0;
  // Shape of one input example, e.g. {1, 28, 28} or {1}.
  virtual std::vector<int64_t> input_shape() const = 0;
  // SHA-256 identifying the data content (and split), recorded with each run.
  virtual std::string checksum() const = 0;
  // SHA-256 of the source files it was read from; "" for generated datasets.
  virtual std::string source_checksum() const { return ""; }
  // One-line description of the splits, e.g. "train 200 / val 50 / test 100 classes".
  virtual std::string describe() const = 0;
  // Number of classes in `split`; 0 for regression datasets.
  virtual int64_t num_classes(Split split) const = 0;

  // Throws DatasetError when `split` cannot supply episodes of `shape`
  // (too few classes or examples), naming the dataset and the numbers.
  virtual void check_shape(Split split, const EpisodeShape& shape) const = 0;

  // Draws one episode.  When `fingerprint` is given, the identity of every
  // drawn item (class ids and example indices, or task parameters) is fed to
  // it, so a set of episodes can be checksummed.
  virtual Episode sample(Split split, const EpisodeShape& shape, Rng& rng,
                         Sha256* fingerprint) const = 0;
};

// What a dataset is created from.
struct DataContext {
  std::string name;       // the registered name, for messages
  std::string data_root;  // data.root resolved: where relative data folders are
  ScopedOptions options;  // the data.* values; typed factories receive them parsed
};

// A factory (EntryFactory::factory(), options under `data.`) throws
// ConfigError for values that contradict each other and DatasetError for
// data that is missing or malformed.
struct DatasetInfo : EntryFactory<DatasetInfo, Dataset, DataContext> {
  static constexpr const char* kKind = "dataset";

  DatasetInfo(std::string name, std::string description, TaskKind kind)
      : name(std::move(name)), description(std::move(description)), kind(kind) {}

  std::string name;  // stable identifier, stored in results
  std::string description;
  TaskKind kind = TaskKind::kClassification;
};

using DatasetRegistry = Registry<DatasetInfo>;

}  // namespace metabench

// Usage: METABENCH_REGISTER_DATASET(DatasetInfo("name", "...",
// TaskKind::kClassification).factory(...));
#define METABENCH_REGISTER_DATASET(...) \
  METABENCH_REGISTER_ENTRY(::metabench::DatasetInfo, __VA_ARGS__)
