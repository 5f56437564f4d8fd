// The algorithm interface and its registry.
//
// An algorithm is created once per run from an AlgorithmContext and its
// typed options, then the harness calls meta_train_step() once per
// meta-iteration with a meta-batch of training episodes, and evaluate() once
// per validation or test episode.  evaluate() must not change the
// meta-learned state: it adapts a copy (or nothing, for metric-based
// methods) and scores the query set.  Episodes arrive on the context's
// device.
//
// To add an algorithm, create one folder under algorithms/ with a .cc file
// that subclasses Algorithm and registers it:
//
//   METABENCH_REGISTER_ALGORITHM(
//       AlgorithmInfo("protonet", "Prototypical Networks (Snell et al. 2017)")
//           .tasks(/*classification=*/true, /*regression=*/false)
//           .factory(options_schema(), [](const AlgorithmContext& ctx, const Options& o) {
//             return std::make_unique<ProtoNet>(ctx, o);
//           }));
//
// The build picks the folder up without any other change.  The registered
// name is a stable identifier stored in results: never rename one.
#pragma once

#include <ATen/core/Tensor.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "metabench/backbone.h"
#include "metabench/episode.h"
#include "metabench/options.h"
#include "metabench/param_set.h"
#include "metabench/registry.h"
#include "metabench/schema.h"
#include "metabench/settings.h"

namespace metabench {

class Dataset;

// The processes one run's meta-batches are split over (c10d process groups,
// `metabench run --nproc N`): each calls meta_train_step() with its share of
// every meta-batch, in the same order.  Algorithms use it only through
// mean_over_meta_batch() below.
// The tasks [first, second) of a meta-batch of `n` that process `rank` of
// `size` trains on: contiguous shares, sizes differing by at most one.
inline std::pair<int64_t, int64_t> meta_batch_share(int64_t n, int rank, int size) {
  return {n * rank / size, n * (rank + 1) / size};
}

class MetaBatchGroup {
 public:
  virtual ~MetaBatchGroup() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // This process's share of a meta-batch of `n` (meta_batch_share).
  std::pair<int64_t, int64_t> share(int64_t n) const { return meta_batch_share(n, rank(), size()); }
  // Sums `flat` (one contiguous float tensor, the same size in every
  // process) in place over the group; every process must call it.
  virtual void all_reduce_sum(at::Tensor& flat) = 0;
};

// The most episodes the harness passes to one evaluate_batch() call (fewer
// when their inputs are large: see episodes_per_evaluate_call()).
constexpr int64_t kEpisodesPerEvaluateCall = 64;

struct AlgorithmContext {
  RunSettings settings;                // episode shapes, optimisation, model size
  const Dataset* dataset = nullptr;    // outlives the algorithm
  const Backbone* backbone = nullptr;  // outlives the algorithm
  TaskKind kind = TaskKind::kClassification;
  at::Device device = at::kCPU;
  uint64_t init_seed = 0;  // derived from the run's seed; use it for all initialisation
  ScopedOptions options;   // the algo.* values; typed factories receive them parsed
  // Null when the run is one process (the usual case); see MetaBatchGroup.
  MetaBatchGroup* group = nullptr;
};

struct StepResult {
  double loss = 0.0;
  double accuracy = 0.0;  // fraction in [0, 1]; NaN for regression
};

class Algorithm {
 public:
  virtual ~Algorithm() = default;
  // One meta-iteration on `batch` (size optim.meta_batch); returns the mean
  // query loss and accuracy over the batch before the meta-update.
  virtual StepResult meta_train_step(const std::vector<Episode>& batch) = 0;
  // Adapts to the episode's support set and scores its query set.
  virtual StepResult evaluate(const Episode& episode) = 0;
  // evaluate() of several episodes of one shape, in order: the same results
  // to float rounding (1e-5; the conformance test checks it, uneven sizes
  // included).  Validation and test call this with up to
  // kEpisodesPerEvaluateCall episodes; an algorithm that can adapt or embed
  // episodes together overrides it and bounds its own memory (tasks per
  // pass).  The default calls evaluate() on each.
  virtual std::vector<StepResult> evaluate_batch(const std::vector<Episode>& episodes) {
    std::vector<StepResult> results;
    results.reserve(episodes.size());
    for (const Episode& e : episodes) results.push_back(evaluate(e));
    return results;
  }
  // The meta-learned state, for checkpoints; load_state() accepts what
  // state() returned (same names and shapes).  ParamSet::state() and
  // ParamSet::load() implement both for a single parameter list.
  virtual NamedTensors state() const = 0;
  virtual void load_state(const NamedTensors& state) = 0;
  // Everything else meta_train_step() carries from one call to the next:
  // optimiser moments and step counts (Adam::state()), private Rng
  // positions, iteration counters.  A run resumed from a snapshot calls
  // load_state() and load_training_state() on a fresh algorithm and must then
  // train bit-identically to one never interrupted (the conformance test
  // checks it).  The default is for algorithms that carry nothing else.
  virtual NamedTensors training_state() const { return {}; }
  virtual void load_training_state(const NamedTensors& /*state*/) {}
};

// For meta_train_step() before its meta-update: when the run splits each
// meta-batch over several processes (`group`, from AlgorithmContext::group,
// not null), replaces `tensors`
// (means over this process's `local_tasks` tasks: meta-gradients, or
// Reptile's mean displacement) and `result` by their means over the whole
// meta-batch, each process weighted by its share, so every process applies
// the same update.  No-op in a single process.  Tensors are float32 and
// updated in place; every process passes the same shapes in the same order.
void mean_over_meta_batch(MetaBatchGroup* group, int64_t local_tasks,
                          const std::vector<at::Tensor>& tensors, StepResult& result);

// mean_over_meta_batch() of the accumulated .grad() of `params`, the usual
// call before an optimiser step.  In a group, a zero gradient is attached
// where a parameter has none, so every process reduces the same shapes; in a
// single process nothing is touched.
void mean_gradients_over_meta_batch(MetaBatchGroup* group, int64_t local_tasks,
                                    std::vector<at::Tensor>& params, StepResult& result);

struct AlgorithmInfo : EntryFactory<AlgorithmInfo, Algorithm, AlgorithmContext> {
  static constexpr const char* kKind = "algorithm";

  AlgorithmInfo(std::string name, std::string description)
      : name(std::move(name)), description(std::move(description)) {}

  std::string name;         // stable identifier, stored in results
  std::string description;  // one line, shown by `metabench list algorithms`
  bool supports_classification = true;
  bool supports_regression = false;
  // options (keys under `algo.`) and create: see factory().
  // Checks across keys, run when a config is resolved; throws ConfigError
  // naming the keys.  Optional.
  std::function<void(const RunSettings&, const ScopedOptions&)> validate;
  // This algorithm's defaults for shared keys, e.g. {"optim.inner_lr", 0.001}
  // for Reptile's inner Adam; shown by `metabench list options --algorithm`.
  std::vector<std::pair<std::string, ConfigValue>> defaults;

  // Which task kinds it handles (default: classification only).
  AlgorithmInfo& tasks(bool classification, bool regression) {
    supports_classification = classification;
    supports_regression = regression;
    return *this;
  }
  AlgorithmInfo& default_value(const std::string& path, ConfigValue value) {
    defaults.emplace_back(path, std::move(value));
    return *this;
  }

  // factory(make) and factory(schema, make), and the same with a check
  // across keys, which receives the settings (and the typed options).
  using EntryFactory::factory;
  AlgorithmInfo& factory(Factory make, std::function<void(const RunSettings&)> check) {
    validate = [check](const RunSettings& s, const ScopedOptions&) { check(s); };
    return factory(std::move(make));
  }
  template <typename T>
  AlgorithmInfo& factory(
      OptionsSchema<T> schema,
      typename NonDeduced<
          std::function<std::unique_ptr<Algorithm>(const AlgorithmContext&, const T&)>>::type make,
      typename NonDeduced<std::function<void(const RunSettings&, const T&)>>::type check) {
    validate = [schema, check](const RunSettings& s, const ScopedOptions& o) {
      check(s, schema.parse(o));
    };
    return factory(std::move(schema), std::move(make));
  }
};

using AlgorithmRegistry = Registry<AlgorithmInfo>;

}  // namespace metabench

#define METABENCH_REGISTER_ALGORITHM(...) \
  METABENCH_REGISTER_ENTRY(::metabench::AlgorithmInfo, __VA_ARGS__)
