// R2-D2 (Bertinetto, Henriques, Torr and Vedaldi, "Meta-learning with
// differentiable closed-form solvers", ICLR 2019).
//
// The head of each episode is ridge regression from the support embeddings
// to one-hot labels, solved in closed form and differentiated through the
// solve, so the embedding is meta-trained for it.  With fewer support
// examples than features (the few-shot case) the solve uses the Woodbury
// identity, an n x n system instead of d x d.  Query logits are the
// regression's outputs times a learned scale plus a learned bias; the
// regulariser lambda is learned too (as exp of a parameter, so it stays
// positive).
#pragma once

#include <ATen/core/Tensor.h>

namespace metabench {

// The ridge-regression weights W [d, ways] minimising
// ||X W - Y||^2 + lambda ||W||^2 for support features X [n, d] and one-hot
// targets Y [n, ways]: X^T (X X^T + lambda I)^-1 Y when n < d (Woodbury),
// else (X^T X + lambda I)^-1 X^T Y.  `lambda` is a tensor (a parameter).
at::Tensor ridge_weights(const at::Tensor& x, const at::Tensor& y, const at::Tensor& lambda);

// The same without the Woodbury identity, always the d x d system: the
// reference the tests compare ridge_weights() with.
at::Tensor ridge_weights_direct(const at::Tensor& x, const at::Tensor& y, const at::Tensor& lambda);

// The authors' solve (bertinetto/r2d2, fewshots/models/r2d2.py): a column
// of ones appended to X, so each class's bias is solved with its weights,
// and X and Y divided by sqrt(n) (which amounts to lambda * n).  Returns
// [d + 1, ways], the bias in the last row; a query q scores [q, 1] W.
at::Tensor ridge_weights_with_bias(const at::Tensor& x, const at::Tensor& y,
                                   const at::Tensor& lambda);

}  // namespace metabench
