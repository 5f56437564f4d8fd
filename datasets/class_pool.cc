#include "datasets/class_pool.h"

#include <ATen/ATen.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "core/byte_buffer.h"
#include "core/files.h"
#include "datasets/image_class_dataset.h"
#include "metabench/errors.h"

namespace metabench {
namespace {

constexpr char kMagic[8] = {'M', 'B', 'P', 'O', 'O', 'L', '0', '1'};

std::string serialize(const ClassPool& pool, const std::string& key) {
  const at::Tensor images = pool.images.contiguous();
  std::string out(kMagic, sizeof(kMagic));
  put_string(out, key);
  put_string(out, pool.source_checksum);
  put_u64(out, static_cast<uint64_t>(images.dim()));
  for (int64_t d : images.sizes()) put_u64(out, static_cast<uint64_t>(d));
  out.append(reinterpret_cast<const char*>(images.data_ptr<uint8_t>()),
             static_cast<size_t>(images.numel()));
  put_u64(out, pool.class_names.size());
  for (int64_t c = 0; c < pool.num_classes(); ++c) {
    put_string(out, pool.class_names[c]);
    put_string(out, pool.class_groups[c]);
    put_u64(out, pool.class_examples[c].size());
    out.append(reinterpret_cast<const char*>(pool.class_examples[c].data()),
               pool.class_examples[c].size() * sizeof(int64_t));
  }
  return out;
}

}  // namespace

bool parse_class_pool(const std::string& data, const std::string& path, const std::string& key,
                      ClassPool& pool) {
  ByteReader in(data, "dataset cache '" + path + "'");
  if (data.size() < sizeof(kMagic) || std::memcmp(in.take(sizeof(kMagic)), kMagic, 8) != 0) {
    return false;
  }
  if (in.string() != key) return false;
  ClassPool loaded;
  loaded.source_checksum = in.string();
  // Sizes are checked against the file before anything is allocated; a
  // damaged cache throws UserError, and the caller decodes again.
  int64_t numel = 0;
  const std::vector<int64_t> shape = in.shape(1, numel);
  if (shape.empty()) return false;
  const char* pixels = in.take(static_cast<uint64_t>(numel));
  loaded.images = at::empty(shape, at::kByte);
  if (numel > 0) {  // memcpy to an empty tensor's null storage is undefined
    std::memcpy(loaded.images.data_ptr<uint8_t>(), pixels, static_cast<size_t>(numel));
  }
  const uint64_t classes = in.count(3 * sizeof(uint64_t));
  for (uint64_t c = 0; c < classes; ++c) {
    loaded.class_names.push_back(in.string());
    loaded.class_groups.push_back(in.string());
    std::vector<int64_t> examples(in.count(sizeof(int64_t)));
    const char* indices = in.take(examples.size() * sizeof(int64_t));
    if (!examples.empty()) std::memcpy(examples.data(), indices, examples.size() * sizeof(int64_t));
    for (int64_t e : examples) {
      if (e < 0 || e >= shape[0]) return false;
    }
    loaded.class_examples.push_back(std::move(examples));
  }
  if (!in.at_end()) return false;
  pool = std::move(loaded);
  return true;
}

int64_t ClassPool::add_class(std::string name, std::string group) {
  class_names.push_back(std::move(name));
  class_groups.push_back(std::move(group));
  class_examples.emplace_back();
  return num_classes() - 1;
}

std::string resolve_cache_dir(const std::string& configured) {
  if (!configured.empty()) return configured;
  if (const char* env = std::getenv("METABENCH_CACHE"); env && *env) return env;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) {
    return std::string(xdg) + "/metabench";
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    return std::string(home) + "/.cache/metabench";
  }
  return ".metabench-cache";
}

ClassPool load_or_decode(const std::string& configured_cache_dir, const std::string& dataset,
                         const std::string& key, const std::function<ClassPool()>& decode) {
  const std::string cache_dir = resolve_cache_dir(configured_cache_dir);
  const std::string path = cache_dir + "/" + dataset + "-" + key.substr(0, 16) + ".pool";
  std::error_code ec;
  if (std::filesystem::is_regular_file(path, ec)) {
    try {
      ClassPool pool;
      if (parse_class_pool(read_file(path), path, key, pool)) return pool;
    } catch (const UserError&) {
      // A truncated or unreadable cache is only a cache: decode again below.
    }
  }
  ClassPool pool = decode();
  try {
    make_directories(cache_dir);
    write_file_atomically(path, serialize(pool, key));
  } catch (const UserError& e) {
    std::cerr << "metabench: warning: could not cache " << dataset << " (" << e.what()
              << "); the next run decodes it again\n";
  }
  return pool;
}

std::unique_ptr<ImageClassDataset> split_pool(const std::string& name, const ClassPool& pool,
                                              const std::vector<int>& split_of_class,
                                              bool rotations) {
  const int copies = rotations ? 4 : 1;
  std::vector<at::Tensor> parts{pool.images};
  for (int k = 1; k < copies; ++k) parts.push_back(at::rot90(pool.images, k, {2, 3}));
  const at::Tensor images = copies == 1 ? pool.images : at::cat(parts, 0);
  const int64_t n = pool.images.size(0);
  std::vector<std::vector<int64_t>> class_examples;
  std::array<std::vector<int64_t>, 3> splits;
  for (int k = 0; k < copies; ++k) {
    for (int64_t c = 0; c < pool.num_classes(); ++c) {
      const int split = split_of_class.at(c);
      if (split < 0) continue;
      std::vector<int64_t> examples = pool.class_examples[c];
      for (auto& e : examples) e += k * n;
      splits.at(split).push_back(static_cast<int64_t>(class_examples.size()));
      class_examples.push_back(std::move(examples));
    }
  }
  return std::make_unique<ImageClassDataset>(name, images, std::move(class_examples),
                                             std::move(splits), pool.source_checksum);
}

}  // namespace metabench
