#include "metabench/training_mode.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/ops/empty.h>

namespace metabench {
namespace {
thread_local TrainingMode* innermost = nullptr;
}  // namespace

TrainingMode::TrainingMode(uint64_t seed, double progress)
    : generator_(at::make_generator<at::CPUGeneratorImpl>(seed)),
      progress_(progress),
      outer_(innermost) {
  innermost = this;
}

TrainingMode::~TrainingMode() { innermost = outer_; }

TrainingMode* TrainingMode::current() { return innermost; }

at::Tensor TrainingMode::bernoulli(at::IntArrayRef sizes, double p) {
  // bernoulli_ locks the generator itself.
  return at::empty(sizes, at::kFloat).bernoulli_(p, generator_);
}

}  // namespace metabench
