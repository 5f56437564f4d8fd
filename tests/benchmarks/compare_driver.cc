// metabench's side of the comparison benchmark (scripts/compare.sh): runs
// one setting's meta-iterations and prints one JSON line with the first
// iteration's loss, seconds per iteration (at least --iterations, for at
// least --min-seconds) and the process's peak resident memory.  With --dump
// DIR it first writes the initial weights and the meta-batch as raw tensors
// plus manifest.json, so that the PyTorch reference
// (scripts/compare/reference.py) can check that it computes the same loss on
// the same weights and data.  --peak measures this machine's float32 peak
// instead: the better of OpenBLAS's GEMM and oneDNN's convolution, each
// with the name of the kernels that ran.  Like metabench, the driver first
// replaces an OpenBLAS fallback core (core/blas_core.h).
#include <ATen/ATen.h>
#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/profiler_legacy.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include "core/blas_core.h"
#include "core/system_info.h"
#include "datasets/episode_sampler.h"
#include "harness/config/experiment_config.h"
#include "harness/run/run_steps.h"
#include "metabench/dataset.h"
#include "tests/benchmarks/settings.h"

namespace metabench {
namespace {

std::vector<std::string> with(std::vector<std::string> assignments, const std::string& extra) {
  assignments.push_back(extra);
  return assignments;
}

// The comparison's configurations (issue 5), by name.
const std::map<std::string, std::vector<std::string>>& settings() {
  static const std::map<std::string, std::vector<std::string>> s = {
      {"maml", omniglot_shaped("maml", 5, 32)},
      {"fomaml", omniglot_shaped("fomaml", 5, 32)},
      {"anil", omniglot_shaped("anil", 5, 32)},
      // inner_batch=0: every inner step sees the task's 80 examples, so the
      // loss does not depend on a shuffle the reference cannot replay.
      {"reptile", with(omniglot_shaped("reptile", 5, 5), "algo.inner_batch=0")},
      {"protonet", omniglot_shaped("protonet", 20, 1)},
      {"matchingnet", omniglot_shaped("matchingnet", 20, 1)},
      {"maml-sinusoid", sinusoid_maml()},
  };
  return s;
}

void write_tensor(const std::string& dir, const std::string& name, const at::Tensor& t,
                  std::ostringstream& manifest, bool& first) {
  const at::Tensor c = t.detach().contiguous().cpu();
  std::ofstream out(dir + "/" + name + ".bin", std::ios::binary);
  out.write(static_cast<const char*>(c.data_ptr()), c.numel() * c.element_size());
  manifest << (first ? "" : ",\n") << "  {\"name\": \"" << name << "\", \"dtype\": \""
           << (c.scalar_type() == at::kLong ? "int64" : "float32") << "\", \"shape\": [";
  for (int64_t i = 0; i < c.dim(); ++i) manifest << (i ? ", " : "") << c.size(i);
  manifest << "]}";
  first = false;
}

void dump(const std::string& dir, const ExperimentConfig& cfg, const Model& model,
          const std::vector<Episode>& batch) {
  std::ostringstream m;
  bool first = true;
  m << "{\"inner_lr\": " << cfg.inner_lr << ", \"inner_steps\": " << cfg.inner_steps
    << ", \"meta_lr\": " << cfg.meta_lr << ", \"tensors\": [\n";
  for (const auto& [name, t] : model.algorithm->state())
    write_tensor(dir, "param." + name, t, m, first);
  for (size_t i = 0; i < batch.size(); ++i) {
    const std::string p = "task" + std::to_string(i) + ".";
    write_tensor(dir, p + "support_x", batch[i].support_x, m, first);
    write_tensor(dir, p + "support_y", batch[i].support_y, m, first);
    write_tensor(dir, p + "query_x", batch[i].query_x, m, first);
    write_tensor(dir, p + "query_y", batch[i].query_y, m, first);
  }
  m << "\n]}\n";
  std::ofstream(dir + "/manifest.json") << m.str();
}

// Reads all of `text` as the number `option` takes into `value`; false, with
// a message naming the option and what was found, when it is not one.
template <typename T>
bool parse_number(const char* option, const std::string& text, T& value) {
  std::istringstream in(text);
  if (in >> value && in.peek() == std::char_traits<char>::eof()) return true;
  std::cerr << option << " expects a number, got '" << text << "'\n";
  return false;
}

// The fastest of five calls of `f` after one warm-up, in seconds.
template <typename F>
double best_seconds(F&& f) {
  f();
  double best = 1e30;
  for (int i = 0; i < 5; ++i) {
    const double t0 = now_seconds();
    f();
    best = std::min(best, now_seconds() - t0);
  }
  return best;
}

std::string json_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

int run(int argc, char** argv) {
  std::string setting, dump_dir, profile_path;
  int64_t iterations = 3;
  double min_seconds = 0.0;
  bool gemm = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--setting" && i + 1 < argc)
      setting = argv[++i];
    else if (a == "--iterations" && i + 1 < argc) {
      if (!parse_number("--iterations", argv[++i], iterations)) return 2;
    } else if (a == "--min-seconds" && i + 1 < argc) {
      if (!parse_number("--min-seconds", argv[++i], min_seconds)) return 2;
    } else if (a == "--dump" && i + 1 < argc)
      dump_dir = argv[++i];
    else if (a == "--profile" && i + 1 < argc)
      profile_path = argv[++i];
    else if (a == "--peak" || a == "--gemm")
      gemm = true;
    else {
      std::cerr << "usage: metabench_compare_driver (--setting NAME [--iterations N] "
                   "[--min-seconds S] [--dump DIR] [--profile TRACE.json] | --peak)\n";
      return 2;
    }
  }
  if (gemm) {
    set_compute_threads(resolve_assignments({}).threads);  // as a run sets them
    const at::Tensor a = at::randn({2048, 2048}), b = at::randn({2048, 2048});
    const double gemm_gflops = 2.0 * 2048 * 2048 * 2048 / best_seconds([&] { at::mm(a, b); }) / 1e9;
    // A 3x3 convolution as large as Conv4's first blocks, channels-last
    // (as Conv4 runs): 64 images of 64x56x56, 64 filters.
    const at::Tensor x = at::randn({64, 64, 56, 56}).contiguous(at::MemoryFormat::ChannelsLast);
    const at::Tensor w = at::randn({64, 64, 3, 3}).contiguous(at::MemoryFormat::ChannelsLast);
    const double conv_flops = 2.0 * 64 * 64 * 9 * 56 * 56 * 64;
    const double conv_gflops =
        conv_flops / best_seconds([&] { at::conv2d(x, w, {}, 1, 1); }) / 1e9;
    std::printf(
        "{\"gemm_gflops\": %.2f, \"conv_gflops\": %.2f, \"peak_gflops\": %.2f, "
        "\"blas\": \"%s\", \"blas_core\": \"%s\", \"conv\": \"%s\"}\n",
        gemm_gflops, conv_gflops, std::max(gemm_gflops, conv_gflops),
        json_escape(collect_system_info().blas).c_str(), openblas_core().c_str(),
        at::globalContext().userEnabledMkldnn() ? "oneDNN (mkldnn), channels-last"
                                                : "LibTorch's own (mkldnn disabled)");
    return 0;
  }
  const auto found = settings().find(setting);
  if (found == settings().end()) {
    std::cerr << "unknown setting '" << setting << "'; expected one of:";
    for (const auto& [name, s] : settings()) std::cerr << " " << name;
    std::cerr << "\n";
    return 2;
  }
  const PreparedRun run(found->second);
  const ExperimentConfig& cfg = run.cfg;
  const Model& model = run.model;
  const std::vector<Episode>& batch = run.batch;
  if (!dump_dir.empty()) dump(dump_dir, cfg, model, batch);
  // The first iteration, at the dumped weights, is also the warm-up.
  const double first_loss = model.algorithm->meta_train_step(batch).loss;
  // At least `iterations`, and for at least `min_seconds`: tiny settings
  // (sinusoid) need many iterations to be timed above the noise.
  // --profile records the timed iterations' operators (LibTorch's legacy
  // profiler, a Chrome trace; scripts/compare/profile_summary.py sums it).
  // Its hooks slow the run: seconds_per_iteration is then not a timing.
  std::optional<torch::autograd::profiler::RecordProfile> profile;
  if (!profile_path.empty()) profile.emplace(profile_path);
  const double t0 = now_seconds();
  int64_t done = 0;
  while (done < iterations || now_seconds() - t0 < min_seconds) {
    model.algorithm->meta_train_step(batch);
    ++done;
  }
  profile.reset();
  const double per_iteration = done > 0 ? (now_seconds() - t0) / static_cast<double>(done) : 0.0;
  std::printf(
      "{\"first_loss\": %.9g, \"seconds_per_iteration\": %.6f, \"iterations\": %lld, "
      "\"peak_rss_mb\": %.1f, \"threads\": %d}\n",
      first_loss, per_iteration, static_cast<long long>(done), peak_rss_mb(),
      at::get_num_threads());
  return 0;
}

}  // namespace
}  // namespace metabench

int main(int argc, char** argv) {
  metabench::save_argv_for_restart(argc, argv);
  metabench::choose_blas_core_automatically();
  return metabench::run(argc, argv);
}
