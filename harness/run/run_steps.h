// The steps that `metabench run` and `metabench eval` share: choosing the
// device, building the model an experiment config describes, filling a run's
// provenance record, and scoring the fixed test episodes.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <functional>
#include <memory>
#include <vector>

#include "core/system_info.h"
#include "datasets/episode_sampler.h"
#include "harness/config/experiment_config.h"
#include "metabench/algorithm.h"
#include "metabench/dataset.h"
#include "metabench/errors.h"
#include "results/claims.h"
#include "results/store.h"

namespace metabench {

// runtime.device as an at::Device; ConfigError for 'cuda' without CUDA.
at::Device resolve_device(const std::string& device);

// A backbone and the algorithm that uses it; the algorithm refers to the
// backbone and the dataset, so both must outlive it.
struct Model {
  std::unique_ptr<Backbone> backbone;
  std::unique_ptr<Algorithm> algorithm;
};

// Builds the algorithm of `cfg` on `dataset`'s input shape, initialised from
// the run's seed (identically for the same seed), with the process group its
// meta-batches are split over (null: one process).
Model build_model(const ExperimentConfig& cfg, const Dataset& dataset, const at::Device& device,
                  MetaBatchGroup* group = nullptr);

// The run's identity and provenance (config, episode setting, versions,
// hardware, dataset and test-set checksums) as begin_run() records it.
RunRecord make_run_record(const ExperimentConfig& cfg, const Dataset& dataset,
                          const FixedEpisodes& test, const at::Device& device,
                          const std::string& sweep);

// Episodes per evaluate_batch() call for episodes like `first`:
// `requested` (runtime.eval_batch) when it is positive, else
// kEpisodesPerEvaluateCall, fewer when their inputs are large, so the
// episodes held at once stay within 8 Mi input elements (32 MiB in float32).
int64_t episodes_per_evaluate_call(const Episode& first, int64_t requested);

// Scores the episodes of `set` in order through evaluate_batch(), in calls
// of episodes_per_evaluate_call(requested) episodes, checking for an
// interrupt between calls; `each(index, result)` sees every episode's
// result in order, and the sweep sees `phase`'s progress
// (report_phase_progress).  Returns the seconds spent inside evaluate_batch().
double evaluate_in_batches(Algorithm& algorithm, const FixedEpisodes& set,
                           const at::Device& device, int64_t requested, const char* phase,
                           const std::function<void(int64_t, const StepResult&)>& each);

// Scores every test episode once, in order; fills the test fields of
// `summary` (mean and 95% CI, episodes, seconds, adaptation latency, peak
// RSS) and returns the per-episode results.
// `eval_batch` is runtime.eval_batch (episodes_per_evaluate_call()); with
// batches, adapt_ms is a batch's time divided by its episodes.
std::vector<EpisodeResult> run_test_episodes(Algorithm& algorithm, const FixedEpisodes& test,
                                             const at::Device& device, int64_t eval_batch,
                                             RunSummary& summary);

// Runs `body` for the recorded run `run_id`: if it throws, records the run
// as 'interrupted' (Interrupted, or ClaimLost: another process took the
// cell over), 'diverged' (Diverged) or 'failed' (anything else) with the
// message, then rethrows.
// This is the harness's catch around one run.
template <typename Body>
void record_outcome(ResultsStore& store, int64_t run_id, Body&& body) {
  try {
    body();
  } catch (const Interrupted& e) {
    store.end_run(run_id, "interrupted", e.what(), utc_timestamp());
    throw;
  } catch (const ClaimLost& e) {
    store.end_run(run_id, "interrupted", e.what(), utc_timestamp());
    throw;
  } catch (const Diverged& e) {
    store.end_run(run_id, "diverged", e.what(), utc_timestamp());
    throw;
  } catch (const std::exception& e) {
    store.end_run(run_id, "failed", e.what(), utc_timestamp());
    throw;
  }
}

}  // namespace metabench
