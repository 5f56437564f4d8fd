// CIFAR-100's binary records (train.bin, test.bin): per image a coarse
// label byte (< 20), a fine label byte (< 100), then 3 x 32 x 32 pixels,
// channel-major.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "datasets/class_pool.h"

namespace metabench {

constexpr int64_t kCifar100Record = 2 + 3 * 32 * 32;

// Decodes the whole records in `bytes` (of file `path`, for `dataset`'s
// errors): returns their images [records, 3, 32, 32] and adds each record's
// index (from `count` on) to its fine class in `pool` (whose 100 classes are
// `fine`), recording each class's superclass.  DatasetError for a label out
// of range or a class in two superclasses; InternalError when `bytes` is
// not whole records.
at::Tensor decode_cifar100_records(const std::string& bytes, const std::string& path,
                                   const std::string& dataset, const std::vector<std::string>& fine,
                                   const std::vector<std::string>& coarse, int64_t count,
                                   ClassPool& pool);

}  // namespace metabench
