// Baseline and Baseline++ (Chen, Liu, Kira, Wang and Huang, "A Closer Look at
// Few-shot Classification", ICLR 2019).
//
// Training is not episodic in spirit: a classifier over all of the training
// split's classes is trained on the examples of the training episodes, with
// their global labels.  At test the embedding is frozen, a new head for the
// episode's classes is fine-tuned on the support features, and it scores
// the queries.  Baseline's heads are linear; Baseline++'s are cosine
// classifiers, logits = scale * cos(feature, class weight), in training and
// at test alike (sec. 3.2).  This folder registers nothing:
// algorithms/baseline/ and algorithms/baselinepp/ register the two, as
// maml/ and fomaml/ do from maml_style/.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

#include "metabench/algorithm.h"
#include "metabench/options.h"

namespace metabench {

struct BaselineOptions {
  int64_t finetune_steps = 100;  // algo.finetune_steps
  double finetune_lr = 0.1;      // algo.finetune_lr
  double scale = 0;              // algo.scale (Baseline++ only); 0: Chen et al.'s rule
};

OptionsSchema<BaselineOptions> baseline_options(bool cosine);

// Logits of a linear head (weight [ways, d], bias [ways]), or of a cosine
// head (weight only): scale * <f / |f|, w_c / |w_c|>.
at::Tensor head_logits(const at::Tensor& features, const at::Tensor& weight, const at::Tensor& bias,
                       bool cosine, double scale);

// The test-time head, fitted to support features [n, d] with labels in
// [0, ways) by `steps` full-batch gradient-descent steps of size `lr` on
// the cross-entropy.  A linear head starts at zero (the problem is convex);
// a cosine head starts at the class means of the normalised features (a
// zero vector has no direction).  Returns {weight, bias} (bias undefined
// for cosine).
std::pair<at::Tensor, at::Tensor> fit_head(const at::Tensor& support, const at::Tensor& labels,
                                           int64_t ways, bool cosine, double scale, int64_t steps,
                                           double lr);

// Chen et al.'s code: a cosine classifier's scale is 2 for at most 200
// classes, 10 above.
double default_cosine_scale(int64_t classes);

std::unique_ptr<Algorithm> make_baseline(const AlgorithmContext& ctx, const BaselineOptions& o,
                                         bool cosine);

}  // namespace metabench
