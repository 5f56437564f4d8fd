// ClassPool: a decoded image-classification dataset before it is split, and
// the on-disk cache that makes decoding a one-time cost.
//
// Loaders (Omniglot, miniImageNet, CIFAR-100, Fashion-MNIST) decode their
// source files into a ClassPool: every image once, as uint8 pixels, grouped
// into named classes, each class tagged with a group (Omniglot alphabet,
// CIFAR-100 superclass, miniImageNet CSV split) that split rules may use.
// The pool is cached in one file (magic, format version, cache key, source
// checksum, then the arrays), so later runs skip decoding entirely; the key
// covers the loader's version and decode options and the sources' paths,
// sizes and modification times, so a changed source or option misses.
#pragma once

#include <ATen/core/Tensor.h>

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "metabench/options.h"
#include "metabench/schema.h"

namespace metabench {

class ImageClassDataset;

struct ClassPool {
  at::Tensor images;  // uint8 [N, C, H, W], 0 = background
  std::vector<std::string> class_names;
  std::vector<std::string> class_groups;
  std::vector<std::vector<int64_t>> class_examples;  // indices into images
  std::string source_checksum;                       // SHA-256 of the source files' content

  int64_t num_classes() const { return static_cast<int64_t>(class_names.size()); }
  // Adds a class; returns its index.
  int64_t add_class(std::string name, std::string group);
};

// Where decoded datasets are cached: `configured` when non-empty, else
// $METABENCH_CACHE, else $XDG_CACHE_HOME/metabench, else ~/.cache/metabench.
std::string resolve_cache_dir(const std::string& configured);

// Adds the option `cache_dir` (not hashed: it does not change the data),
// bound to T::cache_dir, to a dataset's options; see load_or_decode().
template <typename T>
void add_cache_dir_option(OptionsSchema<T>& options) {
  options
      .add_string("cache_dir", &T::cache_dir,
                  "decoded-dataset cache; empty: $METABENCH_CACHE or ~/.cache")
      .not_hashed();
}

// Returns the pool cached for (`dataset`, `key`) under `cache_dir` (resolved
// by resolve_cache_dir), or runs `decode`, writes its result to the cache
// atomically and returns it.  An unreadable or stale cache file is ignored
// and rewritten; a cache directory that cannot be written only costs the
// next run a decode (with a warning).
// Reads a cache file's bytes (`path` names it): false, leaving `pool` alone,
// for a file of another key or version; UserError for a damaged one.
// Declared sizes are checked against `data` before anything is allocated.
bool parse_class_pool(const std::string& data, const std::string& path, const std::string& key,
                      ClassPool& pool);

ClassPool load_or_decode(const std::string& cache_dir, const std::string& dataset,
                         const std::string& key, const std::function<ClassPool()>& decode);

// Splits a pool into train/validation/test by class.  split_of_class[c] is 0,
// 1 or 2, or -1 to leave class c out.  With `rotations`, every class also
// appears rotated by 90, 180 and 270 degrees as three new classes of the same
// split (Santoro et al. 2016; Vinyals et al. 2016), so a rotated copy never
// crosses splits.
std::unique_ptr<ImageClassDataset> split_pool(const std::string& name, const ClassPool& pool,
                                              const std::vector<int>& split_of_class,
                                              bool rotations);

}  // namespace metabench
