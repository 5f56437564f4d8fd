#include "core/stats.h"

#include <gtest/gtest.h>

#include <cmath>

#include "metabench/sha256.h"

namespace metabench {
namespace {

TEST(MeanCi95, MatchesHandComputedValues) {
  // mean 2.5, sample std sqrt(5/3), n 4: ci = 1.96 * 1.2910 / 2.
  const MeanCi r = mean_ci95({1, 2, 3, 4});
  EXPECT_DOUBLE_EQ(r.mean, 2.5);
  EXPECT_NEAR(r.ci95, 1.96 * std::sqrt(5.0 / 3.0) / 2.0, 1e-12);
  EXPECT_EQ(r.n, 4u);
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
