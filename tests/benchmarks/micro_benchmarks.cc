// Google Benchmark micro-benchmarks of metabench's hot paths: one
// meta-iteration and one adaptation per algorithm on Omniglot-shaped
// episodes (28x28, Conv4-64, 15 queries), a sinusoid MAML meta-iteration
// and its batched matrix product, a second-order meta-gradient through
// batch norm against LibTorch's own, episode sampling, loading a
// cached dataset, and the SQLite writes a run makes.  Run:
//   ./build/tests/metabench_micro_benchmarks [--benchmark_filter=REGEX]
// CI runs them once, briefly, only to check that they run.
#include <ATen/ATen.h>
#include <benchmark/benchmark.h>
#include <torch/csrc/autograd/autograd.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>

#include "datasets/episode_sampler.h"
#include "harness/config/experiment_config.h"
#include "harness/run/run_steps.h"
#include "harness/run/snapshot.h"
#include "metabench/dataset.h"
#include "nn/batch_norm.h"
#include "nn/bn_relu_pool.h"
#include "nn/small_bmm.h"
#include "results/store.h"
#include "tests/benchmarks/settings.h"

namespace metabench {
namespace {

// algorithm, training ways, meta-batch.  Inner-loop steps are each
// algorithm's defaults (MAML-style: 1 in training, 3 at test; Reptile: 5 and
// 10 with its inner Adam).  The synthetic glyphs have Omniglot's shape
// (1x28x28, 20 drawings a class).
struct Setting {
  const char* algorithm;
  int64_t ways;
  int64_t meta_batch;
};
const std::map<std::string, Setting> kSettings = {
    {"maml", {"maml", 5, 32}},         {"fomaml", {"fomaml", 5, 32}},
    {"anil", {"anil", 5, 32}},         {"reptile", {"reptile", 5, 5}},
    {"protonet", {"protonet", 20, 1}}, {"matchingnet", {"matchingnet", 20, 1}}};

std::unique_ptr<PreparedRun> prepare(const std::string& name) {
  const Setting& s = kSettings.at(name);
  return std::make_unique<PreparedRun>(omniglot_shaped(s.algorithm, s.ways, s.meta_batch));
}

void BM_MetaIteration(benchmark::State& state, const std::string& name) {
  const auto b = prepare(name);
  for (auto _ : state) benchmark::DoNotOptimize(b->model.algorithm->meta_train_step(b->batch));
  state.SetLabel(name + ", meta-batch " + std::to_string(b->batch.size()));
}

void BM_AdaptAndScore(benchmark::State& state, const std::string& name) {
  const auto b = prepare(name);
  const FixedEpisodes test(*b->dataset, Split::kTest, b->cfg.test_shape, 7, 1);
  const Episode episode = test.get(0);
  for (auto _ : state) benchmark::DoNotOptimize(b->model.algorithm->evaluate(episode));
}

// MAML on sinusoid regression (K = 10, MLP 40-40, meta-batch 25): tiny
// tasks, where per-operation overhead rather than arithmetic sets the pace.
void BM_SinusoidMetaIteration(benchmark::State& state) {
  const PreparedRun run(sinusoid_maml());
  for (auto _ : state) benchmark::DoNotOptimize(run.model.algorithm->meta_train_step(run.batch));
}
BENCHMARK(BM_SinusoidMetaIteration)->Unit(benchmark::kMicrosecond);

// A second-order meta-gradient (an inner step with create_graph, then the
// gradient at the stepped weights) through batch norm and ReLU of a
// channels-last [25, 32, 28, 28] map, quick MAML 5-shot's first block:
// LibTorch's 4-D batch norm, the reference, against batch_norm_train
// (nn/batch_norm.h), side by side in one run.
void BM_BatchNormMetaGradient(benchmark::State& state, bool matrix) {
  at::manual_seed(0);
  const at::MemoryFormat cl = at::MemoryFormat::ChannelsLast;
  const at::Tensor x = at::randn({25, 32, 28, 28}).contiguous(cl).requires_grad_(true);
  const at::Tensor w = at::rand({32}).add_(0.5).requires_grad_(true);
  const at::Tensor b = at::randn({32}).requires_grad_(true);
  const at::Tensor probe = at::randn({25, 32, 28, 28}).contiguous(cl);
  auto loss = [&](const at::Tensor& h, const at::Tensor& weight, const at::Tensor& bias) {
    const at::Tensor y = matrix ? batch_norm_train(h, weight, bias)
                                : at::batch_norm(h, weight, bias, {}, {}, true, 0.0, 1e-5, true);
    return (y.relu() * probe).sum();
  };
  for (auto _ : state) {
    const auto g = torch::autograd::grad({loss(x, w, b)}, {x, w, b}, {}, true, true);
    const at::Tensor outer = loss(x - 0.01 * g[0], w - 0.01 * g[1], b - 0.01 * g[2]);
    benchmark::DoNotOptimize(torch::autograd::grad({outer}, {x, w, b}));
  }
  state.SetLabel(matrix ? "batch_norm_train" : "at::batch_norm (reference)");
}
BENCHMARK_CAPTURE(BM_BatchNormMetaGradient, libtorch_4d, false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_BatchNormMetaGradient, matrix, true)->Unit(benchmark::kMillisecond);

// A Conv4 block's tail on FOMAML's largest map, one task's 75 queries of
// 64x28x28 (channels-last): forward and backward of batch norm, ReLU and
// 2x2 max-pool, LibTorch's operators against batch_norm_relu_pool
// (nn/bn_relu_pool.h), side by side in one run; the forward alone (no
// graph) or with the backward.
void BM_BlockTail(benchmark::State& state, bool fused, bool backward) {
  at::manual_seed(0);
  const at::MemoryFormat cl = at::MemoryFormat::ChannelsLast;
  const at::Tensor x = at::randn({75, 64, 28, 28}).contiguous(cl).requires_grad_(backward);
  const at::Tensor w = at::rand({64}).add_(0.5).requires_grad_(backward);
  const at::Tensor b = at::randn({64}).requires_grad_(backward);
  const at::Tensor probe = at::randn({75, 64, 14, 14}).contiguous(cl);
  for (auto _ : state) {
    const at::Tensor y = fused ? batch_norm_relu_pool(x, w, b, true)
                               : at::max_pool2d(at::relu(batch_norm_train(x, w, b)), {2, 2});
    if (backward) {
      benchmark::DoNotOptimize(torch::autograd::grad({y}, {x, w, b}, {probe}));
    } else {
      benchmark::DoNotOptimize(y);
    }
  }
  state.SetLabel(fused ? "batch_norm_relu_pool" : "LibTorch's operators (reference)");
}
BENCHMARK_CAPTURE(BM_BlockTail, libtorch_forward, false, false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_BlockTail, fused_forward, true, false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_BlockTail, libtorch_forward_backward, false, true)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_BlockTail, fused_forward_backward, true, true)->Unit(benchmark::kMillisecond);

// The sinusoid MLP's hidden layer for 25 tasks, [25, 10, 40] x [25, 40, 40]
// (a transposed weight, as in the forward pass): LibTorch's at::bmm against
// small_bmm.
void BM_BatchedMatmul(benchmark::State& state, bool small) {
  const at::Tensor x = at::randn({25, 10, 40}), w = at::randn({25, 40, 40});
  for (auto _ : state) {
    benchmark::DoNotOptimize(small ? small_bmm(x, w.transpose(1, 2))
                                   : at::bmm(x, w.transpose(1, 2)));
  }
}
BENCHMARK_CAPTURE(BM_BatchedMatmul, at_bmm, false)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_BatchedMatmul, small_bmm, true)->Unit(benchmark::kMicrosecond);

void BM_SampleTrainingEpisode(benchmark::State& state) {
  const PreparedRun run(omniglot_shaped("protonet", 5, 1));
  TrainingStream stream(*run.dataset, EpisodeShape{5, 1, 15}, 1);
  for (auto _ : state) benchmark::DoNotOptimize(stream.next());
}
BENCHMARK(BM_SampleTrainingEpisode);

// Loads Fashion-MNIST's test images (10,000, a little more than Omniglot's
// background set) from the decode cache; the first, untimed load fills it.
void BM_LoadCachedDataset(benchmark::State& state) {
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")) {
    state.SkipWithError("Debian package dataset-fashion-mnist is not installed");
    return;
  }
  const std::string cache =
      (std::filesystem::temp_directory_path() / ("metabench-bench-" + std::to_string(getpid())))
          .string();
  const ExperimentConfig cfg =
      resolve_assignments({"dataset=fashion-mnist", "data.cache_dir=" + cache});
  create_dataset(cfg);
  for (auto _ : state) benchmark::DoNotOptimize(create_dataset(cfg));
  std::filesystem::remove_all(cache);
}
BENCHMARK(BM_LoadCachedDataset)->Unit(benchmark::kMillisecond);

struct TempStore {
  std::string dir =
      (std::filesystem::temp_directory_path() / ("metabench-bench-db-" + std::to_string(getpid())))
          .string();
  std::unique_ptr<ResultsStore> store;
  int64_t run_id = 0;
  TempStore() {
    std::filesystem::create_directories(dir);
    store = std::make_unique<ResultsStore>(dir + "/r.sqlite", ResultsStore::Access::kReadWrite);
  }
  ~TempStore() {
    store.reset();
    std::filesystem::remove_all(dir);
  }
  int64_t begin() {
    RunRecord r;
    r.config_hash = "bench-" + std::to_string(++run_id);
    r.config_yaml = "x: 1\n";
    r.algorithm = "maml";
    r.dataset = "synthetic-glyphs";
    r.backbone = "conv4";
    return store->begin_run(r, "2026-01-01T00:00:00Z");
  }
};

void BM_WriteCurvePoint(benchmark::State& state) {
  TempStore t;
  const int64_t id = t.begin();
  int64_t step = 0;
  for (auto _ : state) t.store->add_curve_points(id, {{++step, "train", 1.0, 0.5, 0.1}});
}
BENCHMARK(BM_WriteCurvePoint)->Unit(benchmark::kMicrosecond);

// begin_run plus complete_run with 600 test episodes: what a run writes.
void BM_WriteRunSummary(benchmark::State& state) {
  TempStore t;
  std::vector<EpisodeResult> episodes;
  for (int64_t i = 0; i < 600; ++i) episodes.push_back({i, 0.8, 0.5});
  RunSummary summary;
  summary.test_episodes = 600;
  for (auto _ : state) t.store->complete_run(t.begin(), episodes, summary, "t");
}
BENCHMARK(BM_WriteRunSummary)->Unit(benchmark::kMillisecond);

// One training snapshot of MAML on Omniglot-shaped inputs (Conv4, width
// 64: parameters, Adam's moments and the best state), written atomically
// as a run writes it every runtime.snapshot_minutes; compare with
// BM_MetaIteration/maml of the same run.
void BM_WriteSnapshot(benchmark::State& state) {
  const auto b = prepare("maml");
  TempStore t;
  TrainingSnapshot s;
  s.config_hash = "bench";
  s.state = b->model.algorithm->state();
  s.training = b->model.algorithm->training_state();
  for (const auto& [name, tensor] : s.state) s.best.emplace_back(name, tensor.clone());
  const std::string path = t.dir + "/run-bench-snapshot.pt";
  for (auto _ : state) save_snapshot(path, s);
  state.counters["MB"] = std::filesystem::file_size(path) / 1048576.0;
}
BENCHMARK(BM_WriteSnapshot)->Unit(benchmark::kMillisecond);

const bool kRegistered = [] {
  for (const auto& [name, setting] : kSettings) {
    benchmark::RegisterBenchmark(("BM_MetaIteration/" + name).c_str(), BM_MetaIteration, name)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("BM_AdaptAndScore/" + name).c_str(), BM_AdaptAndScore, name)
        ->Unit(benchmark::kMillisecond);
  }
  return true;
}();

}  // namespace
}  // namespace metabench

BENCHMARK_MAIN();
