#include "harness/run/run_steps.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/csrc/api/include/torch/version.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "core/build_info.h"
#include "core/code_identity.h"
#include "core/device_info.h"
#include "core/interrupt.h"
#include "core/stats.h"
#include "core/strings.h"
#include "core/system_info.h"
#include "harness/run/progress.h"
#include "metabench/errors.h"

namespace metabench {
namespace {
constexpr uint64_t kInitSeedTag = 0x696e6974ull;  // "init"
}  // namespace

at::Device resolve_device(const std::string& device) {
  if (device == "cpu") return at::Device(at::kCPU);
  if (!at::hasCUDA()) {
    throw EnvironmentError("runtime.device is '" + device +
                           "' but this LibTorch sees no CUDA device (a CPU build, or no GPU "
                           "here); use runtime.device: cpu");
  }
  const at::Device d(device);  // "cuda" or "cuda:N", checked when the config was resolved
  const int64_t count = at::detail::getCUDAHooks().getNumGPUs();
  if (d.has_index() && d.index() >= count) {
    throw EnvironmentError("runtime.device is '" + device + "' but this machine has " +
                           std::to_string(count) + " GPU(s) (cuda:0 to cuda:" +
                           std::to_string(count - 1) + ")");
  }
  return d;
}

Model build_model(const ExperimentConfig& cfg, const Dataset& dataset, const at::Device& device,
                  MetaBatchGroup* group) {
  Model model;
  model.backbone = create_backbone(cfg, dataset.input_shape());
  AlgorithmContext context = algorithm_context(cfg);
  context.dataset = &dataset;
  context.backbone = model.backbone.get();
  context.kind = dataset.kind();
  context.device = device;
  context.group = group;
  context.init_seed = derive_seed({static_cast<uint64_t>(cfg.seed), kInitSeedTag});
  model.algorithm = AlgorithmRegistry::instance().get(cfg.algorithm).create(context);
  return model;
}

RunRecord make_run_record(const ExperimentConfig& cfg, const Dataset& dataset,
                          const FixedEpisodes& test, const at::Device& device,
                          const std::string& sweep) {
  const SystemInfo system = collect_system_info();
  RunRecord record;
  record.sweep = sweep;
  record.name = cfg.name;
  record.config_hash = cfg.hash;
  record.config_yaml = cfg.yaml;
  record.config_family = cfg.family;
  record.inner_steps = cfg.inner_steps;
  record.inner_steps_test = cfg.inner_steps_test;
  record.algorithm = cfg.algorithm;
  record.dataset = cfg.dataset;
  record.backbone = cfg.backbone;
  record.ways = cfg.test_shape.ways;
  record.shots = cfg.test_shape.shots;
  record.queries = cfg.test_shape.queries;
  record.train_ways = cfg.train_shape.ways;
  record.train_shots = cfg.train_shape.shots;
  record.seed = cfg.seed;
  record.eval_seed = static_cast<int64_t>(cfg.eval_seed);
  record.git_commit = system.git_commit;
  record.code_id = code_identity(cfg);
  record.blas = system.blas;
  record.allocator = system.allocator;
  record.build_settings = build_info().settings;
  record.cpu_isa = system.cpu_isa;
  record.command = invocation();
  record.plugins = loaded_plugin_identities();
  // The training episode setting as used (0 in the config means "as at test").
  const std::map<std::string, int64_t> effective = {
      {"episode.train_ways", cfg.train_shape.ways},
      {"episode.train_shots", cfg.train_shape.shots},
      {"episode.train_queries", cfg.train_shape.queries}};
  for (const auto& [key, value] : cfg.values.all()) {
    const auto used = effective.find(key);
    record.config_values.emplace_back(
        key, used == effective.end() ? value_to_string(value) : std::to_string(used->second));
  }
  record.metabench_version = system.metabench_version;
  record.torch_version = TORCH_VERSION;
  record.threads = at::get_num_threads();
  record.device = device.str();
  record.device_name = device_description(device);
  record.host = system.host;
  record.cpu_model = system.cpu_model;
  record.pid = getpid();
  record.dataset_checksum = dataset.checksum();
  record.dataset_source_checksum = dataset.source_checksum();
  record.test_episodes_checksum = test.checksum();
  return record;
}

int64_t episodes_per_evaluate_call(const Episode& first, int64_t requested) {
  if (requested > 0) return requested;
  constexpr int64_t kInputElementsPerCall = int64_t{1} << 23;
  const int64_t per_episode =
      std::max<int64_t>(1, first.support_x.numel() + first.query_x.numel());
  return std::clamp<int64_t>(kInputElementsPerCall / per_episode, 1, kEpisodesPerEvaluateCall);
}

double evaluate_in_batches(Algorithm& algorithm, const FixedEpisodes& set,
                           const at::Device& device, int64_t requested, const char* phase,
                           const std::function<void(int64_t, const StepResult&)>& each) {
  double seconds = 0;
  int64_t per_call = 1;
  for (int64_t begin = 0; begin < set.size(); begin += per_call) {
    throw_if_interrupted();
    std::vector<Episode> episodes{set.get(begin).to(device)};
    if (begin == 0) per_call = episodes_per_evaluate_call(episodes[0], requested);
    const int64_t end = std::min(set.size(), begin + per_call);
    for (int64_t i = begin + 1; i < end; ++i) episodes.push_back(set.get(i).to(device));
    const double start = now_seconds();
    const std::vector<StepResult> results = algorithm.evaluate_batch(episodes);
    seconds += now_seconds() - start;
    if (results.size() != episodes.size()) {
      throw InternalError(format("evaluate_batch() returned %zu results for %zu episodes",
                                 results.size(), episodes.size()));
    }
    for (int64_t i = begin; i < end; ++i) each(i, results[i - begin]);
    report_phase_progress(phase, end, set.size());
  }
  return seconds;
}

std::vector<EpisodeResult> run_test_episodes(Algorithm& algorithm, const FixedEpisodes& test,
                                             const at::Device& device, int64_t eval_batch,
                                             RunSummary& summary) {
  std::vector<EpisodeResult> episodes;
  std::vector<double> accuracies, losses;
  const double test_start = now_seconds();
  const double adapt_seconds =
      evaluate_in_batches(algorithm, test, device, eval_batch, "test", [&](int64_t i, const StepResult& r) {
        if (!std::isfinite(r.loss)) {
          throw Diverged(
              format("the loss of test episode %lld is %s: the selected model diverges "
                     "when it adapts",
                     static_cast<long long>(i), std::to_string(r.loss).c_str()));
        }
        episodes.push_back({i, r.accuracy, r.loss});
        accuracies.push_back(r.accuracy);
        losses.push_back(r.loss);
      });
  summary.test_seconds = now_seconds() - test_start;
  summary.test_episodes = test.size();
  const MeanCi accuracy = mean_ci95(accuracies), loss = mean_ci95(losses);
  summary.test_accuracy = accuracy.mean;
  summary.test_accuracy_ci95 = accuracy.ci95;
  summary.test_loss = loss.mean;
  summary.test_loss_ci95 = loss.ci95;
  summary.adapt_ms = 1000.0 * adapt_seconds / test.size();
  summary.peak_rss_mb = peak_rss_mb();
  summary.peak_device_mb = peak_device_memory_mb(device);  // the run's peak (0 on the CPU)
  return episodes;
}

}  // namespace metabench
