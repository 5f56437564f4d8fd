// CIFAR-100 binary records (datasets/cifar_records.h): the input, cut to
// whole records, as one file's records.
#include <ATen/core/Tensor.h>

#include "datasets/cifar_records.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace metabench;
  const size_t whole = size - size % static_cast<size_t>(kCifar100Record);
  std::vector<std::string> fine, coarse;
  for (int i = 0; i < 100; ++i) fine.push_back("fine" + std::to_string(i));
  for (int i = 0; i < 20; ++i) coarse.push_back("coarse" + std::to_string(i));
  return fuzz::expect_only_user_errors([&] {
    ClassPool pool;
    for (const auto& name : fine) pool.add_class(name, "");
    decode_cifar100_records(fuzz::bytes(data, whole), "fuzz", "cifar-fs", fine, coarse, 0, pool);
  });
}
