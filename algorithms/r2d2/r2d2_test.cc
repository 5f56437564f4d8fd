// R2-D2's head: the Woodbury solve equals the direct linear solve, it
// minimises the ridge objective, and gradients through the solve (to the
// support features and to lambda) equal central finite differences in
// float64.
#include "algorithms/r2d2/r2d2.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

namespace metabench {
namespace {

struct Problem {
  at::Tensor x, y, lambda;
};

// n support examples of d features, 3 classes, in float64.
Problem problem(int64_t n, int64_t d, uint64_t seed) {
  at::manual_seed(static_cast<int64_t>(seed));
  const at::TensorOptions f64 = at::TensorOptions().dtype(at::kDouble);
  const at::Tensor labels = at::arange(n, at::kLong).remainder(3);
  return {at::randn({n, d}, f64), at::one_hot(labels, 3).to(at::kDouble), at::full({1}, 0.7, f64)};
}

TEST(R2D2, WoodburyWeightsEqualTheDirectSolveAndMinimiseTheRidgeObjective) {
  for (const auto& [n, d] : {std::pair<int64_t, int64_t>{5, 64}, {15, 40}, {50, 20}}) {
    const Problem p = problem(n, d, 3);
    const at::Tensor w = ridge_weights(p.x, p.y, p.lambda);
    ASSERT_EQ(w.sizes(), at::IntArrayRef({d, 3}));
    EXPECT_TRUE(at::allclose(w, ridge_weights_direct(p.x, p.y, p.lambda), 1e-10, 1e-12))
        << n << " x " << d;
    // The objective's gradient 2 X^T (X W - Y) + 2 lambda W vanishes at W.
    const at::Tensor g = at::matmul(p.x.t(), at::matmul(p.x, w) - p.y) + p.lambda * w;
    EXPECT_LT(g.abs().max().item<double>(), 1e-10) << n << " x " << d;
  }
}

// A scalar loss of the head's outputs on fixed queries.
at::Tensor head_loss(const at::Tensor& x, const at::Tensor& y, const at::Tensor& lambda,
                     const at::Tensor& queries) {
  return at::matmul(queries, ridge_weights(x, y, lambda)).pow(2).sum();
}

TEST(R2D2, GradientsThroughTheSolveEqualFiniteDifferences) {
  const Problem p = problem(5, 12, 4);  // n < d: the Woodbury path
  const at::Tensor queries = at::randn({4, 12}, at::kDouble);
  const at::Tensor x = p.x.clone().requires_grad_(true);
  const at::Tensor lambda = p.lambda.clone().requires_grad_(true);
  head_loss(x, p.y, lambda, queries).backward();
  const double h = 1e-6;
  auto central = [&](const at::Tensor& xs, const at::Tensor& ls) {
    return head_loss(xs, p.y, ls, queries).item<double>();
  };
  at::NoGradGuard no_grad;
  for (int64_t i = 0; i < x.numel(); i += 7) {
    at::Tensor plus = p.x.clone(), minus = p.x.clone();
    plus.view({-1})[i] += h;
    minus.view({-1})[i] -= h;
    const double fd = (central(plus, p.lambda) - central(minus, p.lambda)) / (2 * h);
    EXPECT_NEAR(x.grad().view({-1})[i].item<double>(), fd, 1e-6 * std::max(1.0, std::abs(fd)))
        << "support feature " << i;
  }
  const double fd = (central(p.x, p.lambda + h) - central(p.x, p.lambda - h)) / (2 * h);
  EXPECT_NEAR(lambda.grad().item<double>(), fd, 1e-6 * std::max(1.0, std::abs(fd))) << "lambda";
}

// The authors' solve is ridge regression on [X, 1] with lambda * n: its
// weights zero that objective's gradient, and the last row is a bias that
// a shift of every support example's features cannot explain away.
TEST(R2D2, TheAuthorsSolveFitsAPerClassBiasWithLambdaTimesN) {
  for (const auto& [n, d] : {std::pair<int64_t, int64_t>{5, 64}, {50, 20}}) {
    const Problem p = problem(n, d, 6);
    const at::Tensor wb = ridge_weights_with_bias(p.x, p.y, p.lambda);
    ASSERT_EQ(wb.sizes(), at::IntArrayRef({d + 1, 3}));
    const at::Tensor xb = at::cat({p.x, at::ones({n, 1}, at::kDouble)}, 1);
    const at::Tensor g =
        at::matmul(xb.t(), at::matmul(xb, wb) - p.y) + static_cast<double>(n) * p.lambda * wb;
    EXPECT_LT(g.abs().max().item<double>(), 1e-9) << n << " x " << d;
  }
  // Zero features: only the bias row can fit the labels; it is the class
  // frequencies shrunk by lambda: n_c / (n + n lambda) with n lambda on the
  // one-column system (1^T 1 + n lambda) b = 1^T Y.
  const Problem p = problem(6, 4, 7);
  const at::Tensor wb = ridge_weights_with_bias(at::zeros({6, 4}, at::kDouble), p.y, p.lambda);
  const double lambda = p.lambda.item<double>();
  EXPECT_TRUE(
      at::allclose(wb[4], at::full({3}, 2.0 / (6.0 + 6.0 * lambda), at::kDouble), 1e-12, 1e-12))
      << wb;
}

}  // namespace
}  // namespace metabench
