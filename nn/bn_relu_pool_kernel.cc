#include "nn/bn_relu_pool_kernel.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "nn/row_kernel.h"

namespace metabench {
namespace {

// Rows (or pooled positions) per chunk of a sum.  Fixed, so that the order
// of additions, and so every sum, is the same at any thread count.
constexpr int64_t kChunkRows = 128;

// Rows per parallel task of an elementwise pass: about 32K values.
int64_t elementwise_grain(int64_t cols) { return std::max<int64_t>(1, 32768 / cols); }

struct MapShape {
  int64_t n, h, w, c;
  bool pool;
  int64_t ho() const { return pool ? h / 2 : h; }
  int64_t wo() const { return pool ? w / 2 : w; }
  int64_t rows() const { return n * h * w; }
  int64_t out_rows() const { return n * ho() * wo(); }
};

MapShape shape_of(const at::Tensor& x, bool pool) {
  return {x.size(0), x.size(2), x.size(3), x.size(1), pool};
}

// Row kernels (nn/row_kernel.h): one row of C channels each.
template <typename T>
METABENCH_ROW_KERNEL void stats_row(const T* __restrict x, double* __restrict s,
                                    double* __restrict q, int64_t c) {
  for (int64_t j = 0; j < c; ++j) {
    const double v = static_cast<double>(x[j]);
    s[j] += v;
    q[j] += v * v;
  }
}

template <typename T>
METABENCH_ROW_KERNEL void relu_row(const T* __restrict x, const T* __restrict a,
                                   const T* __restrict b, T* __restrict o, uint8_t* __restrict code,
                                   int64_t c) {
  for (int64_t j = 0; j < c; ++j) {
    const T y = x[j] * a[j] + b[j];
    o[j] = y < T(0) ? T(0) : y;
  }
  if (code == nullptr) return;
  // A second loop: GCC 12 vectorizes each alone, not both in one.
  for (int64_t j = 0; j < c; ++j) {
    const T y = x[j] * a[j] + b[j];
    code[j] = static_cast<uint8_t>(y > T(0) ? T(0) : T(kBnReluPoolInactive));
  }
}

// Pairwise selects; strict comparisons keep the first of equal values.
template <typename T>
METABENCH_ROW_KERNEL void pool_row(const T* __restrict x0, const T* __restrict x1,
                                   const T* __restrict x2, const T* __restrict x3,
                                   const T* __restrict a, const T* __restrict b, T* __restrict o,
                                   uint8_t* __restrict code, int64_t c) {
  for (int64_t j = 0; j < c; ++j) {
    const T y0 = x0[j] * a[j] + b[j], y1 = x1[j] * a[j] + b[j];
    const T y2 = x2[j] * a[j] + b[j], y3 = x3[j] * a[j] + b[j];
    const T m01 = y1 > y0 ? y1 : y0, m23 = y3 > y2 ? y3 : y2;
    const T best = m23 > m01 ? m23 : m01;
    o[j] = best < T(0) ? T(0) : best;
  }
  if (code == nullptr) return;
  for (int64_t j = 0; j < c; ++j) {
    const T y0 = x0[j] * a[j] + b[j], y1 = x1[j] * a[j] + b[j];
    const T y2 = x2[j] * a[j] + b[j], y3 = x3[j] * a[j] + b[j];
    const T m01 = y1 > y0 ? y1 : y0, m23 = y3 > y2 ? y3 : y2;
    const T k01 = y1 > y0 ? T(1) : T(0), k23 = y3 > y2 ? T(3) : T(2);
    const T best = m23 > m01 ? m23 : m01;
    const T k = m23 > m01 ? k23 : k01;
    code[j] = static_cast<uint8_t>(best > T(0) ? k : T(kBnReluPoolInactive));
  }
}

// Each pooled value's gradient where it won (zero where ReLU zeroed it) and
// the winner's x, by selects: every load unconditional (a conditional load
// is not vectorized), the comparisons as a binary search, and the sums in
// double.  Half the codes are inactive at random, so branches would miss.
template <typename T>
METABENCH_ROW_KERNEL void winner_sums_row(const T* __restrict x0, const T* __restrict x1,
                                          const T* __restrict x2, const T* __restrict x3,
                                          const T* __restrict g, const uint8_t* __restrict code,
                                          const double* __restrict mean,
                                          const double* __restrict invstd, T* __restrict win_g,
                                          T* __restrict win_x, double* __restrict s1,
                                          double* __restrict s2, int64_t c) {
  for (int64_t j = 0; j < c; ++j) {
    const T k = static_cast<T>(code[j]), v0 = x0[j], v1 = x1[j], v2 = x2[j], v3 = x3[j];
    const T low = k < T(0.5) ? v0 : v1, high = k < T(2.5) ? v2 : v3;
    win_x[j] = k < T(1.5) ? low : high;
  }
  for (int64_t j = 0; j < c; ++j) {
    const T gj = g[j];
    win_g[j] = code[j] < 4 ? gj : T(0);
  }
  for (int64_t j = 0; j < c; ++j) {
    const double gv = static_cast<double>(win_g[j]);
    s1[j] += gv;
    s2[j] += gv * (static_cast<double>(win_x[j]) - mean[j]) * invstd[j];
  }
}

// gx = kk gy + u x + v, gy being g where this position won, else zero.
template <typename T>
METABENCH_ROW_KERNEL void gx_row(const T* __restrict x, const T* __restrict g,
                                 const uint8_t* __restrict code, uint8_t here,
                                 const T* __restrict kk, const T* __restrict u,
                                 const T* __restrict v, T* __restrict out, int64_t c) {
  if (g == nullptr) {  // no window holds this position
    for (int64_t j = 0; j < c; ++j) out[j] = u[j] * x[j] + v[j];
    return;
  }
  const T at = static_cast<T>(here);
  for (int64_t j = 0; j < c; ++j) {
    const T gj = g[j];
    const T gy = static_cast<T>(code[j]) == at ? gj : T(0);
    out[j] = kk[j] * gy + u[j] * x[j] + v[j];
  }
}

// Per-channel mean and biased variance of the [rows, c] matrix x: each
// chunk's in double, then merged in chunk order (Chan et al.'s update).
template <typename T>
void channel_moments(const T* x, int64_t rows, int64_t c, std::vector<double>& mean,
                     std::vector<double>& var) {
  const int64_t chunks = (rows + kChunkRows - 1) / kChunkRows;
  std::vector<double> part_mean(static_cast<size_t>(chunks * c)), part_m2(part_mean.size());
  at::parallel_for(0, chunks, 1, [&](int64_t begin, int64_t end) {
    std::vector<double> s(c), q(c);
    for (int64_t k = begin; k < end; ++k) {
      std::fill(s.begin(), s.end(), 0.0);
      std::fill(q.begin(), q.end(), 0.0);
      const int64_t r0 = k * kChunkRows, r1 = std::min(rows, r0 + kChunkRows);
      for (int64_t r = r0; r < r1; ++r) stats_row(x + r * c, s.data(), q.data(), c);
      const double n = static_cast<double>(r1 - r0);
      for (int64_t j = 0; j < c; ++j) {
        const double m = s[j] / n;
        part_mean[k * c + j] = m;
        part_m2[k * c + j] = std::max(0.0, q[j] - s[j] * m);
      }
    }
  });
  mean.assign(c, 0.0);
  std::vector<double> m2(c, 0.0);
  double count = 0;
  for (int64_t k = 0; k < chunks; ++k) {
    const double nb = static_cast<double>(std::min(rows, (k + 1) * kChunkRows) - k * kChunkRows);
    const double total = count + nb;
    for (int64_t j = 0; j < c; ++j) {
      const double delta = part_mean[k * c + j] - mean[j];
      mean[j] += delta * nb / total;
      m2[j] += part_m2[k * c + j] + delta * delta * count * nb / total;
    }
    count = total;
  }
  var.resize(c);
  for (int64_t j = 0; j < c; ++j) var[j] = m2[j] / static_cast<double>(rows);
}

// The first row of output row p's window (the row itself without pool).
int64_t window_row(const MapShape& s, int64_t p) {
  if (!s.pool) return p;
  const int64_t ho = s.ho(), wo = s.wo();
  const int64_t n = p / (ho * wo), oh = p / wo % ho, ow = p % wo;
  return (n * s.h + 2 * oh) * s.w + 2 * ow;
}

// out = max over the window of relu(a x + b); code = the first window
// position holding the maximum, or kBnReluPoolInactive where it is not
// positive.  Without pool the window is the one position.
template <typename T>
void forward_pass(const T* x, const MapShape& s, const T* a, const T* b, T* out, uint8_t* codes) {
  const int64_t c = s.c;
  at::parallel_for(0, s.out_rows(), elementwise_grain(c), [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      uint8_t* code = codes != nullptr ? codes + p * c : nullptr;
      const T* x0 = x + window_row(s, p) * c;
      if (s.pool) {
        pool_row(x0, x0 + c, x0 + s.w * c, x0 + (s.w + 1) * c, a, b, out + p * c, code, c);
      } else {
        relu_row(x0, a, b, out + p * c, code, c);
      }
    }
  });
}

template <typename T>
BnReluPoolForward forward_typed(const at::Tensor& x_t, const at::Tensor& w_t, const at::Tensor& b_t,
                                bool pool, double eps, bool keep_codes) {
  const MapShape s = shape_of(x_t, pool);
  const T* x = x_t.data_ptr<T>();
  std::vector<double> mean, var;
  channel_moments(x, s.rows(), s.c, mean, var);
  const at::Tensor w64 = w_t.to(at::kDouble).contiguous(), b64 = b_t.to(at::kDouble).contiguous();
  BnReluPoolForward f;
  f.mean = at::empty({s.c}, x_t.options());
  f.invstd = at::empty({s.c}, x_t.options());
  std::vector<T> a(s.c), b(s.c);
  for (int64_t j = 0; j < s.c; ++j) {
    const double r = 1.0 / std::sqrt(var[j] + eps);
    f.mean.data_ptr<T>()[j] = static_cast<T>(mean[j]);
    f.invstd.data_ptr<T>()[j] = static_cast<T>(r);
    // LibTorch's transform: y = x * alpha + beta with alpha = w * invstd.
    const double alpha = w64.data_ptr<double>()[j] * r;
    a[j] = static_cast<T>(alpha);
    b[j] = static_cast<T>(b64.data_ptr<double>()[j] - mean[j] * alpha);
  }
  f.out = at::empty({s.n, s.c, s.ho(), s.wo()},
                    x_t.options().memory_format(at::MemoryFormat::ChannelsLast));
  T* out = f.out.data_ptr<T>();
  uint8_t* codes = nullptr;
  if (keep_codes) {
    f.codes = at::empty({s.out_rows(), s.c}, x_t.options().dtype(at::kByte));
    codes = f.codes.data_ptr<uint8_t>();
  }
  forward_pass<T>(x, s, a.data(), b.data(), out, codes);
  return f;
}

template <typename T>
std::tuple<at::Tensor, at::Tensor, at::Tensor> backward_typed(
    const at::Tensor& g_t, const at::Tensor& x_t, const at::Tensor& w_t, const at::Tensor& mean_t,
    const at::Tensor& invstd_t, const at::Tensor& codes_t, bool pool) {
  const MapShape s = shape_of(x_t, pool);
  const int64_t c = s.c, ho = s.ho(), wo = s.wo(), out_rows = s.out_rows();
  const T* g = g_t.data_ptr<T>();
  const T* x = x_t.data_ptr<T>();
  const uint8_t* codes = codes_t.data_ptr<uint8_t>();
  const at::Tensor w64 = w_t.to(at::kDouble).contiguous();
  std::vector<double> mean(c), invstd(c), weight(c);
  for (int64_t j = 0; j < c; ++j) {
    mean[j] = static_cast<double>(mean_t.data_ptr<T>()[j]);
    invstd[j] = static_cast<double>(invstd_t.data_ptr<T>()[j]);
    weight[j] = w64.data_ptr<double>()[j];
  }
  // Batch norm's gradient needs sum(gy) and sum(gy * x^) per channel; gy is
  // g at each window's winner and zero elsewhere.
  const int64_t chunks = (out_rows + kChunkRows - 1) / kChunkRows;
  std::vector<double> part(static_cast<size_t>(chunks * 2 * c));
  at::parallel_for(0, chunks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t k = begin; k < end; ++k) {
      double* s1 = part.data() + k * 2 * c;
      double* s2 = s1 + c;
      std::fill(s1, s1 + 2 * c, 0.0);
      std::vector<T> win_g(c), win_x(c);
      for (int64_t p = k * kChunkRows; p < std::min(out_rows, (k + 1) * kChunkRows); ++p) {
        // Without pool the window is the one position: all four its row.
        const T* x0 = x + window_row(s, p) * c;
        const T* x1 = x0 + (pool ? c : 0);
        const T* x2 = x0 + (pool ? s.w * c : 0);
        const T* x3 = x2 + (pool ? c : 0);
        winner_sums_row(x0, x1, x2, x3, g + p * c, codes + p * c, mean.data(), invstd.data(),
                        win_g.data(), win_x.data(), s1, s2, c);
      }
    }
  });
  std::vector<double> sum_g(c, 0.0), sum_gx(c, 0.0);
  for (int64_t k = 0; k < chunks; ++k) {
    for (int64_t j = 0; j < c; ++j) {
      sum_g[j] += part[k * 2 * c + j];
      sum_gx[j] += part[k * 2 * c + c + j];
    }
  }
  // gx = w invstd (gy - mean(gy) - x^ mean(gy x^)) = kk gy + u x + v.
  const double rows = static_cast<double>(s.rows());
  std::vector<T> kk(c), u(c), v(c);
  at::Tensor gw = at::empty({c}, x_t.options()), gb = at::empty({c}, x_t.options());
  for (int64_t j = 0; j < c; ++j) {
    const double k = weight[j] * invstd[j], m = sum_gx[j] / rows;
    kk[j] = static_cast<T>(k);
    u[j] = static_cast<T>(-k * m * invstd[j]);
    v[j] = static_cast<T>(k * (m * invstd[j] * mean[j] - sum_g[j] / rows));
    gw.data_ptr<T>()[j] = static_cast<T>(sum_gx[j]);
    gb.data_ptr<T>()[j] = static_cast<T>(sum_g[j]);
  }
  at::Tensor gx_t =
      at::empty({s.n, c, s.h, s.w}, x_t.options().memory_format(at::MemoryFormat::ChannelsLast));
  T* gx = gx_t.data_ptr<T>();
  at::parallel_for(0, s.rows(), elementwise_grain(c), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      // The pooled position whose window holds this row, and where in it;
      // an odd last row or column is in no window.
      const int64_t n = r / (s.h * s.w), h = r / s.w % s.h, w = r % s.w;
      int64_t p = r;
      uint8_t here = 0;
      if (pool) {
        p = h >= 2 * ho || w >= 2 * wo ? -1 : (n * ho + h / 2) * wo + w / 2;
        here = static_cast<uint8_t>((h & 1) * 2 + (w & 1));
      }
      gx_row(x + r * c, p < 0 ? nullptr : g + p * c, p < 0 ? nullptr : codes + p * c, here,
             kk.data(), u.data(), v.data(), gx + r * c, c);
    }
  });
  return {gx_t, gw, gb};
}

}  // namespace

BnReluPoolForward bn_relu_pool_forward(const at::Tensor& x, const at::Tensor& weight,
                                       const at::Tensor& bias, bool pool, double eps,
                                       bool keep_codes) {
  if (x.scalar_type() == at::kDouble) {
    return forward_typed<double>(x, weight, bias, pool, eps, keep_codes);
  }
  return forward_typed<float>(x, weight, bias, pool, eps, keep_codes);
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> bn_relu_pool_backward(
    const at::Tensor& g, const at::Tensor& x, const at::Tensor& weight, const at::Tensor& mean,
    const at::Tensor& invstd, const at::Tensor& codes, bool pool) {
  // [N, Ho, Wo, C] contiguous: the memory order the kernels index.
  const at::Tensor rows = g.permute({0, 2, 3, 1}).contiguous();
  if (x.scalar_type() == at::kDouble) {
    return backward_typed<double>(rows, x, weight, mean, invstd, codes, pool);
  }
  return backward_typed<float>(rows, x, weight, mean, invstd, codes, pool);
}

}  // namespace metabench
