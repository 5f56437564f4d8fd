// The embedded `sinusoid` regression dataset of the MAML paper (Finn et al.
// 2017, section 5.1): each task is y = A sin(x - phase) with amplitude
// A ~ U[0.1, 5.0], phase ~ U[0, pi], inputs x ~ U[-5, 5], mean-squared-error
// loss.  Splits share the task distribution; they differ only in the random
// stream the harness draws them from.  An episode is one task with `shots`
// support and `queries` query points; episode.ways must be 1.
#include <ATen/ATen.h>

#include <cmath>

#include "metabench/dataset.h"
#include "metabench/errors.h"
#include "metabench/options.h"

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

// data.* options: the MAML paper's task distribution by default.
struct SinusoidOptions {
  double amplitude_min = 0.1, amplitude_max = 5.0;
  double phase_min = 0.0, phase_max = M_PI;
  double x_min = -5.0, x_max = 5.0;
};

std::unique_ptr<Dataset> create_sinusoid(const DataContext&, const SinusoidOptions& o) {
  auto range = [](double lo, double hi, const char* lo_key, const char* hi_key) {
    if (lo > hi) {
      throw ConfigError(std::string("dataset 'sinusoid': ") + lo_key + " must not exceed " +
                        hi_key);
    }
  };
  range(o.amplitude_min, o.amplitude_max, "data.amplitude_min", "data.amplitude_max");
  range(o.phase_min, o.phase_max, "data.phase_min", "data.phase_max");
  range(o.x_min, o.x_max, "data.x_min", "data.x_max");
  return std::make_unique<SinusoidDataset>(o.amplitude_min, o.amplitude_max, o.phase_min,
                                           o.phase_max, o.x_min, o.x_max);
}

OptionsSchema<SinusoidOptions> sinusoid_options() {
  using O = SinusoidOptions;
  OptionsSchema<O> s;
  s.add_float("amplitude_min", &O::amplitude_min, "smallest amplitude (MAML paper: 0.1)");
  s.add_float("amplitude_max", &O::amplitude_max, "largest amplitude (MAML paper: 5.0)");
  s.add_float("phase_min", &O::phase_min, "smallest phase (MAML paper: 0)");
  s.add_float("phase_max", &O::phase_max, "largest phase (MAML paper: pi)");
  s.add_float("x_min", &O::x_min, "smallest input (MAML paper: -5)");
  s.add_float("x_max", &O::x_max, "largest input (MAML paper: 5)");
  return s;
}

METABENCH_REGISTER_DATASET(
    DatasetInfo("sinusoid",
                "sinusoid regression of the MAML paper, A sin(x - phase), MSE (embedded)",
                TaskKind::kRegression)
        .factory(sinusoid_options(), create_sinusoid));

}  // namespace
}  // namespace metabench
