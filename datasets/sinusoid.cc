// The embedded `sinusoid` regression dataset of the MAML paper (Finn et al.
// 2017, section 5.1): each task is y = A sin(x - phase) with amplitude
// A ~ U[0.1, 5.0], phase ~ U[0, pi], inputs x ~ U[-5, 5], mean-squared-error
// loss.  Splits share the task distribution; they differ only in the random
// stream the harness draws them from.  An episode is one task with `shots`
// support and `queries` query points; episode.ways must be 1.
#include <ATen/ATen.h>

#include <cmath>

#include "datasets/dataset.h"
#include "harness/config/experiment_config.h"
#include "harness/core/errors.h"

namespace metabench {
namespace {

class SinusoidDataset : public Dataset {
 public:
  SinusoidDataset(double amp_lo, double amp_hi, double phase_lo, double phase_hi, double x_lo,
                  double x_hi)
      : amp_lo_(amp_lo),
        amp_hi_(amp_hi),
        phase_lo_(phase_lo),
        phase_hi_(phase_hi),
        x_lo_(x_lo),
        x_hi_(x_hi) {
    Sha256 h;
    h.update("metabench-sinusoid-v1");
    for (double v : {amp_lo, amp_hi, phase_lo, phase_hi, x_lo, x_hi}) h.update_value(v);
    checksum_ = h.hex_digest();
  }

  TaskKind kind() const override { return TaskKind::kRegression; }
  std::vector<int64_t> input_shape() const override { return {1}; }
  std::string checksum() const override { return checksum_; }
  std::string describe() const override {
    return "y = A sin(x - phase), A in [" + std::to_string(amp_lo_) + ", " +
           std::to_string(amp_hi_) + "], x in [" + std::to_string(x_lo_) + ", " +
           std::to_string(x_hi_) + "]";
  }

  int64_t num_classes(Split) const override { return 0; }

  void check_shape(Split, const EpisodeShape& shape) const override {
    if (shape.ways != 1) {
      throw DatasetError(
          "dataset 'sinusoid': a regression episode is one task, so "
          "episode.ways (and episode.train_ways) must be 1, got " +
          std::to_string(shape.ways));
    }
  }

  Episode sample(Split, const EpisodeShape& shape, Rng& rng, Sha256* fingerprint) const override {
    const double amplitude = rng.uniform(amp_lo_, amp_hi_);
    const double phase = rng.uniform(phase_lo_, phase_hi_);
    auto draw = [&](int64_t n, at::Tensor* x, at::Tensor* y) {
      *x = at::empty({n, 1}, at::kFloat);
      *y = at::empty({n, 1}, at::kFloat);
      float* xs = x->data_ptr<float>();
      float* ys = y->data_ptr<float>();
      for (int64_t i = 0; i < n; ++i) {
        const double xi = rng.uniform(x_lo_, x_hi_);
        xs[i] = static_cast<float>(xi);
        ys[i] = static_cast<float>(amplitude * std::sin(xi - phase));
      }
    };
    Episode episode;
    episode.ways = 1;
    draw(shape.shots, &episode.support_x, &episode.support_y);
    draw(shape.queries, &episode.query_x, &episode.query_y);
    if (fingerprint) {
      fingerprint->update_value(amplitude);
      fingerprint->update_value(phase);
      fingerprint->update(episode.support_x.data_ptr<float>(), shape.shots * sizeof(float));
      fingerprint->update(episode.query_x.data_ptr<float>(), shape.queries * sizeof(float));
    }
    return episode;
  }

 private:
  double amp_lo_, amp_hi_, phase_lo_, phase_hi_, x_lo_, x_hi_;
  std::string checksum_;
};

std::unique_ptr<Dataset> create_sinusoid(const ExperimentConfig& cfg) {
  const ConfigValues& v = cfg.values;
  auto range = [&](const char* lo, const char* hi) {
    if (v.get_float(lo) > v.get_float(hi)) {
      throw ConfigError(std::string("dataset 'sinusoid': ") + lo + " must not exceed " + hi);
    }
  };
  range("data.amplitude_min", "data.amplitude_max");
  range("data.phase_min", "data.phase_max");
  range("data.x_min", "data.x_max");
  return std::make_unique<SinusoidDataset>(
      v.get_float("data.amplitude_min"), v.get_float("data.amplitude_max"),
      v.get_float("data.phase_min"), v.get_float("data.phase_max"), v.get_float("data.x_min"),
      v.get_float("data.x_max"));
}

Schema sinusoid_options() {
  Schema s;
  s.add_float("amplitude_min", 0.1, "smallest amplitude (MAML paper: 0.1)");
  s.add_float("amplitude_max", 5.0, "largest amplitude (MAML paper: 5.0)");
  s.add_float("phase_min", 0.0, "smallest phase (MAML paper: 0)");
  s.add_float("phase_max", M_PI, "largest phase (MAML paper: pi)");
  s.add_float("x_min", -5.0, "smallest input (MAML paper: -5)");
  s.add_float("x_max", 5.0, "largest input (MAML paper: 5)");
  return s;
}

METABENCH_REGISTER_DATASET(DatasetInfo{
    "sinusoid", "sinusoid regression of the MAML paper, A sin(x - phase), MSE (embedded)",
    TaskKind::kRegression, sinusoid_options(), create_sinusoid});

}  // namespace
}  // namespace metabench
