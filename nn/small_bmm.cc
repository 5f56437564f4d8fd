#include "nn/small_bmm.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <vector>

namespace metabench {
namespace {

// 32-byte vectors (GCC/Clang vector extensions): ymm registers with AVX2 and
// AVX-512, register pairs without.
typedef float FloatVector __attribute__((vector_size(32)));
typedef double DoubleVector __attribute__((vector_size(32)));
template <typename T>
struct VectorOf;
template <>
struct VectorOf<float> {
  using Type = FloatVector;
};
template <>
struct VectorOf<double> {
  using Type = DoubleVector;
};

#define METABENCH_LOAD(V, p)               \
  ({                                       \
    V v_;                                  \
    __builtin_memcpy(&v_, (p), sizeof v_); \
    v_;                                    \
  })

// c[t] = a[t] @ b[t] for t < batch; c contiguous [batch, m, n].  Each
// output row is built four vectors (or one, then scalars) at a time in
// registers while running down the contiguous rows of b; b is packed into
// `scratch` when its rows are strided (a transposed weight).
template <typename T>
inline __attribute__((always_inline)) void bmm_rows(int64_t batch, int64_t m, int64_t k, int64_t n,
                                                    const T* a, const int64_t* as, const T* b,
                                                    const int64_t* bs, T* c) {
  using V = typename VectorOf<T>::Type;
  constexpr int64_t kLanes = sizeof(V) / sizeof(T);
  std::vector<T> scratch;
  for (int64_t t = 0; t < batch; ++t) {
    const T* bt = b + t * bs[0];
    int64_t row = bs[1];
    if (bs[2] != 1) {
      scratch.resize(static_cast<size_t>(k * n));
      for (int64_t j = 0; j < n; ++j) {
        for (int64_t p = 0; p < k; ++p) scratch[p * n + j] = bt[p * bs[1] + j * bs[2]];
      }
      bt = scratch.data();
      row = n;
    }
    for (int64_t i = 0; i < m; ++i) {
      T* ci = c + (t * m + i) * n;
      const T* ai = a + t * as[0] + i * as[1];
      int64_t j = 0;
      for (; j + 4 * kLanes <= n; j += 4 * kLanes) {
        V c0 = {}, c1 = {}, c2 = {}, c3 = {};
        for (int64_t p = 0; p < k; ++p) {
          const T s = ai[p * as[2]];
          const T* bp = bt + p * row + j;
          c0 += s * METABENCH_LOAD(V, bp);
          c1 += s * METABENCH_LOAD(V, bp + kLanes);
          c2 += s * METABENCH_LOAD(V, bp + 2 * kLanes);
          c3 += s * METABENCH_LOAD(V, bp + 3 * kLanes);
        }
        __builtin_memcpy(ci + j, &c0, sizeof c0);
        __builtin_memcpy(ci + j + kLanes, &c1, sizeof c1);
        __builtin_memcpy(ci + j + 2 * kLanes, &c2, sizeof c2);
        __builtin_memcpy(ci + j + 3 * kLanes, &c3, sizeof c3);
      }
      for (; j + kLanes <= n; j += kLanes) {
        V c0 = {};
        for (int64_t p = 0; p < k; ++p) c0 += ai[p * as[2]] * METABENCH_LOAD(V, bt + p * row + j);
        __builtin_memcpy(ci + j, &c0, sizeof c0);
      }
      for (; j < n; ++j) {
        T sum = 0;
        for (int64_t p = 0; p < k; ++p) sum += ai[p * as[2]] * bt[p * row + j];
        ci[j] = sum;
      }
    }
  }
}

// One clone per instruction set, chosen when the library loads (x86-64
// with GCC or Clang); elsewhere the portable build.  (Clones named by
// "arch=" measured 15 times slower here; by instruction set they vectorise.)
#if defined(__x86_64__) && defined(__GNUC__)
#define METABENCH_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define METABENCH_CLONES
#endif

METABENCH_CLONES void bmm_float(int64_t batch, int64_t m, int64_t k, int64_t n, const float* a,
                                const int64_t* as, const float* b, const int64_t* bs, float* c) {
  bmm_rows(batch, m, k, n, a, as, b, bs, c);
}

METABENCH_CLONES void bmm_double(int64_t batch, int64_t m, int64_t k, int64_t n, const double* a,
                                 const int64_t* as, const double* b, const int64_t* bs, double* c) {
  bmm_rows(batch, m, k, n, a, as, b, bs, c);
}

at::Tensor bmm_kernel(const at::Tensor& a, const at::Tensor& b) {
  const int64_t batch = a.size(0), m = a.size(1), k = a.size(2), n = b.size(2);
  at::Tensor c = at::empty({batch, m, n}, a.options());
  const int64_t as[3] = {a.stride(0), a.stride(1), a.stride(2)};
  const int64_t bs[3] = {b.stride(0), b.stride(1), b.stride(2)};
  // One thread: splitting 25 sinusoid tasks over two threads measured no
  // faster (the fork and join cost what the second thread saves).
  if (a.scalar_type() == at::kFloat) {
    bmm_float(batch, m, k, n, a.data_ptr<float>(), as, b.data_ptr<float>(), bs,
              c.data_ptr<float>());
  } else {
    bmm_double(batch, m, k, n, a.data_ptr<double>(), as, b.data_ptr<double>(), bs,
               c.data_ptr<double>());
  }
  return c;
}

struct SmallBmm : public torch::autograd::Function<SmallBmm> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& a,
                            const at::Tensor& b) {
    ctx->save_for_backward({a, b});
    return bmm_kernel(a, b);
  }

  // d(a @ b) = da @ b + a @ db, so grad_a = g @ b^T and grad_b = a^T @ g;
  // computed with small_bmm, the backward is itself differentiable.
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor &a = saved[0], &b = saved[1], &g = grads[0];
    at::Tensor grad_a, grad_b;
    if (ctx->needs_input_grad(0)) grad_a = small_bmm(g, b.transpose(1, 2));
    if (ctx->needs_input_grad(1)) grad_b = small_bmm(a.transpose(1, 2), g);
    return {grad_a, grad_b};
  }
};

bool use_kernel(const at::Tensor& a, const at::Tensor& b) {
  const auto type = a.scalar_type();
  return a.device().is_cpu() && b.device().is_cpu() && a.dim() == 3 && b.dim() == 3 &&
         (type == at::kFloat || type == at::kDouble) && b.scalar_type() == type &&
         a.size(0) == b.size(0) && a.size(2) == b.size(1) && a.size(0) > 1 &&
         b.size(2) >= kSmallBmmMinColumns && a.size(1) * a.size(2) * b.size(2) <= kSmallBmmMaxMacs;
}

}  // namespace

at::Tensor small_bmm(const at::Tensor& a, const at::Tensor& b) {
  if (!use_kernel(a, b)) return at::bmm(a, b);
  return SmallBmm::apply(a, b);
}

}  // namespace metabench
