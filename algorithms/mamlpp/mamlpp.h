// MAML++ (Antoniou, Edwards and Storkey, "How to train your MAML", ICLR
// 2019): MAML with five changes, each switchable (algo.*), so an ablation is
// a config:
//  - multi-step loss (MSL): the query loss after every inner step, weighted
//    by an importance vector that starts uniform and is annealed towards the
//    last step over the first algo.msl_fraction of training (sec. 4, 1);
//  - per-step batch-norm weights and biases (BNWB): inner step k's forward
//    uses its own batch-norm parameters, meta-learned, not adapted in the
//    inner loop.  Per-step running statistics (BNRS) have nothing to keep
//    here: metabench's batch norm always uses the batch's own statistics,
//    so each step's statistics are already its own;
//  - learned per-layer per-step inner learning rates (LSLR), one scalar per
//    parameter tensor and step, starting at optim.inner_lr;
//  - derivative-order annealing (DA): first-order meta-gradients for the
//    first algo.first_order_fraction of training, second-order after;
//  - cosine annealing of the meta learning rate from optim.meta_lr to
//    algo.min_meta_lr over optim.iterations (CA).
// With every option off it computes exactly what `maml` with
// algo.task_batching=false computes (tested bit for bit).
#pragma once

#include <cstdint>
#include <vector>

namespace metabench {

// The MSL importance of each of `steps` inner steps' query losses at
// meta-iteration `iteration`, annealed over `anneal_iterations` (as the
// authors' code: non-final weights fall linearly from 1/steps to a floor of
// 0.03/steps; the last step takes the rest).  One step, or anneal <= 0: all
// weight on the last step.
std::vector<double> multi_step_weights(int64_t steps, int64_t iteration, int64_t anneal_iterations);

// The cosine-annealed learning rate at `iteration` of `total`:
// min + (max - min) (1 + cos(pi iteration / total)) / 2.
double cosine_learning_rate(int64_t iteration, int64_t total, double max_lr, double min_lr);

}  // namespace metabench
