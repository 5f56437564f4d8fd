#include "nn/batch_norm_kernel.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <vector>

#include "nn/row_kernel.h"

namespace metabench {
namespace {

// With gbar = mean(gy), m = mean(gy * x^), S0 = sum(ggx), S1 = sum(ggx * gy),
// S2 = sum(ggx * x^), K = S1 - gbar * S0 - m * S2 and r = invstd, the
// derivative of <ggw, gw> + <ggx, gx> with respect to x is, per element,
//   ggw * r * (gy - gbar - x^ m)
//   - w r^2 (x^ K / M + (S2 / M) (gy - gbar - x^ m) + m (ggx - S0 / M - x^ S2 / M)),
// from d invstd / dx = -invstd^2 x^ / M, d x^_i / dx_j = r (delta_ij - 1/M -
// x^_i x^_j / M).  Both kernels below compute exactly these terms.

BatchNormGradients composite(const at::Tensor& gy, const at::Tensor& x, const at::Tensor& w,
                             double eps, const at::Tensor& ggx, const at::Tensor& ggw,
                             const at::Tensor& ggb) {
  const double rows = static_cast<double>(x.size(0));
  const at::Tensor mu = x.mean(0, /*keepdim=*/true);
  const at::Tensor r = ((x - mu).pow(2).mean(0, true) + eps).rsqrt();
  const at::Tensor gamma = w.unsqueeze(0);
  const at::Tensor xh = (x - mu) * r;
  const at::Tensor gbar = gy.mean(0, true), m = (gy * xh).mean(0, true);
  const at::Tensor proj_g = gy - gbar - xh * m;
  at::Tensor d_gy = at::zeros_like(gy), d_x = at::zeros_like(x), d_w = at::zeros_like(w);
  if (ggx.defined()) {
    const at::Tensor s0 = ggx.sum(0, true), s1 = (ggx * gy).sum(0, true),
                     s2 = (ggx * xh).sum(0, true);
    const at::Tensor proj_gg = ggx - s0 / rows - xh * s2 / rows;
    const at::Tensor k = s1 - gbar * s0 - m * s2;
    d_gy = d_gy + gamma * r * proj_gg;
    d_w = (r * k).squeeze(0);
    d_x = d_x - gamma * r * r * (xh * k / rows + s2 / rows * proj_g + m * proj_gg);
  }
  if (ggw.defined()) {
    d_gy = d_gy + ggw.unsqueeze(0) * xh;
    d_x = d_x + ggw.unsqueeze(0) * r * proj_g;
  }
  if (ggb.defined()) d_gy = d_gy + ggb.unsqueeze(0);
  return {d_gy, d_x, d_w};
}

// Per-channel coefficients of the outputs:
// d_x = a x^ + b gy + cc ggx + d, d_gy = p x^ + q ggx + s, x^ = (x - mu) r.
template <typename T>
struct RowCoefficients {
  const T *mu, *r, *a, *b, *cc, *d, *p, *q, *s;
};

// One row of d_x and d_gy (nn/row_kernel.h: a function a row, so that it
// vectorizes inside at::parallel_for); ggx may be null (zero).
template <typename T>
METABENCH_ROW_KERNEL void output_row(const T* __restrict x, const T* __restrict gy,
                                     const T* __restrict ggx, RowCoefficients<T> k,
                                     T* __restrict dx, T* __restrict dg, int64_t cols) {
  const T* __restrict mu = k.mu;
  const T* __restrict r = k.r;
  const T* __restrict a = k.a;
  const T* __restrict b = k.b;
  const T* __restrict cc = k.cc;
  const T* __restrict d = k.d;
  const T* __restrict p = k.p;
  const T* __restrict q = k.q;
  const T* __restrict s = k.s;
  if (ggx != nullptr) {
    for (int64_t c = 0; c < cols; ++c) {
      const T xh = (x[c] - mu[c]) * r[c];
      dx[c] = a[c] * xh + b[c] * gy[c] + cc[c] * ggx[c] + d[c];
      dg[c] = p[c] * xh + q[c] * ggx[c] + s[c];
    }
    return;
  }
  for (int64_t c = 0; c < cols; ++c) {
    const T xh = (x[c] - mu[c]) * r[c];
    dx[c] = a[c] * xh + b[c] * gy[c] + d[c];
    dg[c] = p[c] * xh + s[c];
  }
}

// The fused form: per-channel sums in one pass (double accumulators, one
// set per thread's share of the rows, added in a fixed order), then each
// output element as a x^ + b gy + c ggx + d with per-channel coefficients.
template <typename T>
BatchNormGradients fused(const at::Tensor& gy_t, const at::Tensor& x_t, const at::Tensor& w_t,
                         const at::Tensor& mean_t, const at::Tensor& invstd_t,
                         const at::Tensor& ggx_t, const at::Tensor& ggw_t,
                         const at::Tensor& ggb_t) {
  const int64_t rows = x_t.size(0), cols = x_t.size(1);
  const T* gy = gy_t.data_ptr<T>();
  const T* x = x_t.data_ptr<T>();
  const T* ggx = ggx_t.defined() ? ggx_t.data_ptr<T>() : nullptr;
  const at::Tensor w64 = w_t.to(at::kDouble), mean64 = mean_t.to(at::kDouble),
                   r64 = invstd_t.to(at::kDouble);
  const double *wd = w64.data_ptr<double>(), *mud = mean64.data_ptr<double>(),
               *rd = r64.data_ptr<double>();
  std::vector<T> mu(cols), r(cols);
  for (int64_t c = 0; c < cols; ++c) {
    mu[c] = static_cast<T>(mud[c]);
    r[c] = static_cast<T>(rd[c]);
  }
  // Sums: gy, gy * x^, ggx, ggx * gy, ggx * x^.
  const int64_t shares = std::max<int64_t>(1, std::min<int64_t>(at::get_num_threads(), rows));
  std::vector<double> partial(static_cast<size_t>(shares * 5 * cols), 0.0);
  at::parallel_for(0, shares, 1, [&](int64_t begin, int64_t end) {
    for (int64_t s = begin; s < end; ++s) {
      double* acc = partial.data() + s * 5 * cols;
      double *sg = acc, *sgx = acc + cols, *s0 = acc + 2 * cols, *s1 = acc + 3 * cols,
             *s2 = acc + 4 * cols;
      for (int64_t i = rows * s / shares; i < rows * (s + 1) / shares; ++i) {
        const T* xi = x + i * cols;
        const T* gi = gy + i * cols;
        if (ggx == nullptr) {
          for (int64_t c = 0; c < cols; ++c) {
            const T xh = (xi[c] - mu[c]) * r[c];
            sg[c] += gi[c];
            sgx[c] += gi[c] * xh;
          }
          continue;
        }
        const T* hi = ggx + i * cols;
        for (int64_t c = 0; c < cols; ++c) {
          const T xh = (xi[c] - mu[c]) * r[c];
          sg[c] += gi[c];
          sgx[c] += gi[c] * xh;
          s0[c] += hi[c];
          s1[c] += hi[c] * gi[c];
          s2[c] += hi[c] * xh;
        }
      }
    }
  });
  const at::Tensor ggw64 = ggw_t.defined() ? ggw_t.to(at::kDouble) : at::zeros({cols}, at::kDouble);
  const at::Tensor ggb64 = ggb_t.defined() ? ggb_t.to(at::kDouble) : at::zeros({cols}, at::kDouble);
  const double *ggwd = ggw64.data_ptr<double>(), *ggbd = ggb64.data_ptr<double>();
  // d_x = a x^ + b gy + c ggx + d, d_gy = p x^ + q ggx + s.
  std::vector<T> a(cols), b(cols), cc(cols), d(cols), p(cols), q(cols), s(cols);
  at::Tensor d_w = at::empty({cols}, w_t.options());
  T* dw = d_w.data_ptr<T>();
  const double n = static_cast<double>(rows);
  for (int64_t c = 0; c < cols; ++c) {
    double sum[5] = {0, 0, 0, 0, 0};
    for (int64_t k = 0; k < shares; ++k) {
      for (int j = 0; j < 5; ++j) sum[j] += partial[(k * 5 + j) * cols + c];
    }
    const double gbar = sum[0] / n, m = sum[1] / n, s0 = sum[2], s1 = sum[3], s2 = sum[4];
    const double gw = ggwd[c], gb = ggbd[c];
    const double rr = rd[c], g = wd[c], k = s1 - gbar * s0 - m * s2;
    a[c] = static_cast<T>(-gw * rr * m - g * rr * rr * (k - 2 * m * s2) / n);
    b[c] = static_cast<T>(gw * rr - g * rr * rr * s2 / n);
    cc[c] = static_cast<T>(-g * rr * rr * m);
    d[c] = static_cast<T>(-gw * rr * gbar + g * rr * rr * (s2 * gbar + m * s0) / n);
    p[c] = static_cast<T>(gw - g * rr * s2 / n);
    q[c] = static_cast<T>(g * rr);
    s[c] = static_cast<T>(gb - g * rr * s0 / n);
    dw[c] = static_cast<T>(rr * k);
  }
  at::Tensor d_x = at::empty_like(x_t), d_gy = at::empty_like(gy_t);
  T* dx = d_x.data_ptr<T>();
  T* dg = d_gy.data_ptr<T>();
  const int64_t grain = std::max<int64_t>(1, 32768 / std::max<int64_t>(cols, 1));
  const RowCoefficients<T> k{mu.data(), r.data(), a.data(), b.data(), cc.data(),
                             d.data(),  p.data(), q.data(), s.data()};
  at::parallel_for(0, rows, grain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      output_row(x + i * cols, gy + i * cols, ggx != nullptr ? ggx + i * cols : nullptr, k,
                 dx + i * cols, dg + i * cols, cols);
    }
  });
  return {d_gy, d_x, d_w};
}

}  // namespace

BatchNormGradients batch_norm_double_backward(const at::Tensor& gy, const at::Tensor& x,
                                              const at::Tensor& weight, const at::Tensor& mean,
                                              const at::Tensor& invstd, double eps,
                                              const at::Tensor& ggx, const at::Tensor& ggw,
                                              const at::Tensor& ggb) {
  const bool fusable = !at::GradMode::is_enabled() && x.device().is_cpu() &&
                       (x.scalar_type() == at::kFloat || x.scalar_type() == at::kDouble) &&
                       gy.scalar_type() == x.scalar_type() &&
                       weight.scalar_type() == x.scalar_type() &&
                       (!ggx.defined() || ggx.scalar_type() == x.scalar_type());
  if (!fusable) return composite(gy, x, weight, eps, ggx, ggw, ggb);
  const at::Tensor g = gy.contiguous(), h = ggx.defined() ? ggx.contiguous() : ggx;
  const at::Tensor xc = x.contiguous();
  if (x.scalar_type() == at::kDouble) {
    return fused<double>(g, xc, weight, mean, invstd, h, ggw, ggb);
  }
  return fused<float>(g, xc, weight, mean, invstd, h, ggw, ggb);
}

}  // namespace metabench
