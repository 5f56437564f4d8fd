// Cross-dataset evaluation: scores a trained checkpoint on another dataset's
// fixed test episodes (`metabench eval`), for example a model meta-trained on
// Omniglot tested on Fashion-MNIST.
//
// The checkpoint carries the resolved config that trained it.  The
// evaluation config is that config with `dataset` replaced, the old
// dataset's `data.*` options dropped, and the caller's overrides applied
// (eval.*, data.*, the episode setting, runtime.*).  The run is recorded like
// any other, with kind 'eval', a link to the training run when this
// database holds it, and a config hash of its own, so a sweep never mistakes
// it for a training run.
#pragma once

#include <string>
#include <vector>

#include "harness/config/experiment_config.h"
#include "harness/run/experiment_runner.h"
#include "nn/checkpoint.h"
#include "results/store.h"

namespace metabench {

struct EvalRequest {
  std::string checkpoint;              // path of a metabench checkpoint
  std::string dataset;                 // registry name of the dataset to test on
  std::vector<std::string> overrides;  // "KEY=VALUE", applied last
};

// Resolves the evaluation config of `checkpoint` (loaded from
// request.checkpoint).  Throws UserError for a checkpoint without its config
// whose run is not in `store`, or an invalid override.
ExperimentConfig resolve_eval_config(const EvalRequest& request, const Checkpoint& checkpoint,
                                     ResultsStore& store);

// Evaluates and records the run; like run_experiment(), rejects bad input
// (e.g. a checkpoint whose parameter shapes do not fit the dataset's inputs)
// before anything is recorded.
RunOutcome run_evaluation(const EvalRequest& request, ResultsStore& store);

}  // namespace metabench
