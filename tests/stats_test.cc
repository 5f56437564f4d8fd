#include "core/stats.h"

#include <gtest/gtest.h>

#include <cmath>

#include "metabench/sha256.h"

namespace metabench {
namespace {

TEST(MeanCi95, UsesStudentsTQuantileForItsN) {
  // mean 2.5, sample std sqrt(5/3), n 4: ci = t(0.975, 3) * 1.2910 / 2, with
  // t(0.975, 3) = 3.182446 (tables; scipy.stats.t.ppf(0.975, 3)).
  const MeanCi r = mean_ci95({1, 2, 3, 4});
  EXPECT_DOUBLE_EQ(r.mean, 2.5);
  EXPECT_NEAR(r.quantile, 3.182446305, 1e-8);
  EXPECT_NEAR(r.ci95, 3.182446305 * std::sqrt(5.0 / 3.0) / 2.0, 1e-8);
  EXPECT_EQ(r.n, 4u);
  // Three seeds: t(0.975, 2) = 4.302653, 2.2 times 1.96.
  const MeanCi seeds = mean_ci95({60, 62, 67});
  EXPECT_NEAR(seeds.ci95, 4.302652730 * std::sqrt(13.0) / std::sqrt(3.0), 1e-7);
  // 600 episodes: the papers' 1.96 to two decimals.
  EXPECT_NEAR(student_t_quantile(0.975, 599), 1.963932, 1e-6);
}

TEST(StudentT, TwoSidedPValues) {
  EXPECT_NEAR(student_t_two_sided_p(2.0, 10), 0.073388, 1e-6);  // scipy: 2*t.sf(2, 10)
  EXPECT_NEAR(student_t_two_sided_p(-4.302652730, 2), 0.05, 1e-9);
  EXPECT_DOUBLE_EQ(student_t_two_sided_p(0, 5), 1.0);
}

TEST(MeanCi95, IgnoresNaNAndHandlesSingleValue) {
  const MeanCi r = mean_ci95({std::nan(""), 0.5});
  EXPECT_DOUBLE_EQ(r.mean, 0.5);
  EXPECT_DOUBLE_EQ(r.ci95, 0.0);
  EXPECT_TRUE(std::isnan(mean_ci95({}).mean));
}

TEST(Sha256, KnownDigests) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // Longer than one block.
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

}  // namespace
}  // namespace metabench
