#include "harness/run/snapshot.h"

#include <ATen/ATen.h>

#include <cstring>
#include <filesystem>

#include "core/files.h"
#include "metabench/errors.h"
#include "nn/torch_file.h"

namespace metabench {
namespace {

constexpr const char* kFormat = "metabench-snapshot";
constexpr int64_t kVersion = 1;

at::Tensor words_tensor(const std::array<uint64_t, 4>& words) {
  at::Tensor t = at::empty({4}, at::kLong);
  std::memcpy(t.data_ptr<int64_t>(), words.data(), sizeof(words));
  return t;
}

}  // namespace

void save_snapshot(const std::string& path, const TrainingSnapshot& s) {
  TorchRecord r;
  r.strings["format"] = kFormat;
  r.integers["version"] = kVersion;
  r.strings["config_hash"] = s.config_hash;
  r.strings["config_yaml"] = s.config_yaml;
  r.integers["iteration"] = s.iteration;
  r.integers["validation_pending"] = s.validation_pending ? 1 : 0;
  r.tensors["state"] = s.state;
  r.tensors["training"] = s.training;
  r.tensors["best"] = s.best;
  NamedTensors& rng = r.tensors["rng"];
  rng.emplace_back("stream", words_tensor(s.stream_position));
  if (s.torch_generator.defined()) rng.emplace_back("torch_cpu", s.torch_generator);
  r.numbers["window_loss"] = s.window_loss;
  r.numbers["window_accuracy"] = s.window_accuracy;
  r.integers["window_size"] = s.window_size;
  r.numbers["last_finite_loss"] = s.last_finite_loss;
  r.numbers["best_loss"] = s.best_loss;
  r.numbers["best_accuracy"] = s.best_accuracy;
  r.integers["best_step"] = s.best_step;
  r.numbers["train_seconds"] = s.train_seconds;
  r.numbers["val_seconds"] = s.val_seconds;
  r.numbers["elapsed_seconds"] = s.elapsed_seconds;
  write_file_atomically(path, encode_torch_record(r));
}

TrainingSnapshot load_snapshot(const std::string& path) {
  return parse_snapshot(read_file(path), path);
}

TrainingSnapshot parse_snapshot(const std::string& data, const std::string& path) {
  const std::string what = "snapshot '" + path + "'";
  if (!looks_like_torch_file(data)) {
    throw UserError(what + " is not a torch.save() file (expected a metabench snapshot)");
  }
  const TorchRecord r = decode_torch_record(data, what);
  if (r.strings.count("format") == 0 || r.strings.at("format") != kFormat) {
    throw UserError(what + " is not a metabench snapshot (expected format '" + kFormat + "')");
  }
  if (r.integer("version", what) != kVersion) {
    throw UserError(what + " has snapshot version " + std::to_string(r.integer("version", what)) +
                    "; this build reads version " + std::to_string(kVersion));
  }
  TrainingSnapshot s;
  s.config_hash = r.string("config_hash", what);
  s.config_yaml = r.string("config_yaml", what);
  s.iteration = r.integer("iteration", what);
  s.validation_pending = r.integer("validation_pending", what) != 0;
  s.state = r.group("state", what);
  s.training = r.group("training", what);
  s.best = r.group("best", what);
  const NamedTensors& rng = r.group("rng", what);
  const at::Tensor* stream = find_tensor(rng, "stream");
  if (!stream || stream->numel() != 4 || stream->scalar_type() != at::kLong) {
    throw UserError(what + ": 'rng' has no 'stream' position (4 int64 values)");
  }
  std::memcpy(s.stream_position.data(), stream->contiguous().data_ptr<int64_t>(),
              sizeof(s.stream_position));
  if (const at::Tensor* g = find_tensor(rng, "torch_cpu")) s.torch_generator = *g;
  s.window_loss = r.number("window_loss", what);
  s.window_accuracy = r.number("window_accuracy", what);
  s.window_size = r.integer("window_size", what);
  s.last_finite_loss = r.number("last_finite_loss", what);
  s.best_loss = r.number("best_loss", what);
  s.best_accuracy = r.number("best_accuracy", what);
  s.best_step = r.integer("best_step", what);
  s.train_seconds = r.number("train_seconds", what);
  s.val_seconds = r.number("val_seconds", what);
  s.elapsed_seconds = r.number("elapsed_seconds", what);
  if (s.iteration < 0 || s.window_size < 0 || s.best_step < 0 || s.best_step > s.iteration) {
    throw UserError(what + " has inconsistent counters (iteration " + std::to_string(s.iteration) +
                    ", best step " + std::to_string(s.best_step) + ")");
  }
  return s;
}

std::string snapshot_path_for(const std::string& checkpoint) {
  const std::string suffix = "-best.ckpt";
  if (checkpoint.size() > suffix.size() &&
      checkpoint.compare(checkpoint.size() - suffix.size(), suffix.size(), suffix) == 0) {
    return checkpoint.substr(0, checkpoint.size() - suffix.size()) + "-snapshot.pt";
  }
  return checkpoint + ".snapshot.pt";
}

}  // namespace metabench
