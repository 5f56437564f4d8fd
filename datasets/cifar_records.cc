#include "datasets/cifar_records.h"

#include <ATen/ATen.h>

#include <cstring>

#include "core/strings.h"
#include "metabench/errors.h"

namespace metabench {

at::Tensor decode_cifar100_records(const std::string& bytes, const std::string& path,
                                   const std::string& dataset, const std::vector<std::string>& fine,
                                   const std::vector<std::string>& coarse, int64_t count,
                                   ClassPool& pool) {
  if (bytes.size() % kCifar100Record != 0 || fine.size() != 100 || coarse.size() != 20 ||
      pool.num_classes() != 100) {
    throw InternalError("decode_cifar100_records: " + std::to_string(bytes.size()) +
                        " bytes (whole records expected), " + std::to_string(fine.size()) +
                        " fine and " + std::to_string(coarse.size()) + " coarse names, " +
                        std::to_string(pool.num_classes()) + " classes in the pool");
  }
  const int64_t records = static_cast<int64_t>(bytes.size()) / kCifar100Record;
  at::Tensor images = at::empty({records, 3, 32, 32}, at::kByte);
  uint8_t* out = images.data_ptr<uint8_t>();
  for (int64_t r = 0; r < records; ++r) {
    const auto* rec = reinterpret_cast<const uint8_t*>(bytes.data()) + r * kCifar100Record;
    if (rec[0] >= 20 || rec[1] >= 100) {
      throw DatasetError(
          format("dataset '%s': '%s' record %lld has labels (%d, %d); expected "
                 "coarse < 20 and fine < 100",
                 dataset.c_str(), path.c_str(), static_cast<long long>(r), rec[0], rec[1]));
    }
    const std::string& group = pool.class_groups[rec[1]];
    if (!group.empty() && group != coarse[rec[0]]) {
      throw DatasetError(
          format("dataset '%s': '%s' record %lld puts class '%s' in superclass "
                 "'%s', but earlier records put it in '%s'; expected one "
                 "superclass per class",
                 dataset.c_str(), path.c_str(), static_cast<long long>(r), fine[rec[1]].c_str(),
                 coarse[rec[0]].c_str(), group.c_str()));
    }
    pool.class_groups[rec[1]] = coarse[rec[0]];
    std::memcpy(out + r * (kCifar100Record - 2), rec + 2, kCifar100Record - 2);
    pool.class_examples[rec[1]].push_back(count + r);
  }
  return images;
}

}  // namespace metabench
