#include "nn/torch_file.h"

#include <ATen/ATen.h>
#include <ATen/core/Dict.h>
#include <ATen/core/ivalue.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include "metabench/errors.h"

namespace metabench {
namespace {

template <typename Map>
const typename Map::mapped_type& lookup(const Map& map, const std::string& key,
                                        const std::string& what, const char* type) {
  const auto it = map.find(key);
  if (it == map.end()) {
    throw UserError(what + " has no " + type + " field '" + key + "'");
  }
  return it->second;
}

}  // namespace

const std::string& TorchRecord::string(const std::string& key, const std::string& what) const {
  return lookup(strings, key, what, "string");
}
int64_t TorchRecord::integer(const std::string& key, const std::string& what) const {
  return lookup(integers, key, what, "integer");
}
double TorchRecord::number(const std::string& key, const std::string& what) const {
  return lookup(numbers, key, what, "floating-point");
}
const NamedTensors& TorchRecord::group(const std::string& key, const std::string& what) const {
  return lookup(tensors, key, what, "tensor dictionary");
}

std::string encode_torch_record(const TorchRecord& record) {
  c10::impl::GenericDict dict(c10::StringType::get(), c10::AnyType::get());
  for (const auto& [key, value] : record.strings) dict.insert(key, value);
  for (const auto& [key, value] : record.integers) dict.insert(key, value);
  for (const auto& [key, value] : record.numbers) dict.insert(key, value);
  for (const auto& [key, group] : record.tensors) {
    c10::Dict<std::string, at::Tensor> tensors;
    for (const auto& [name, tensor] : group) {
      tensors.insert(name, tensor.detach().to(at::kCPU).contiguous());
    }
    dict.insert(key, tensors);
  }
  const std::vector<char> bytes = torch::jit::pickle_save(c10::IValue(dict));
  return std::string(bytes.begin(), bytes.end());
}

bool looks_like_torch_file(const std::string& data) {
  return data.size() >= 4 && data.compare(0, 4, "PK\x03\x04", 4) == 0;
}

TorchRecord decode_torch_record(const std::string& data, const std::string& what) {
  c10::IValue value;
  try {
    value = torch::jit::pickle_load(std::vector<char>(data.begin(), data.end()));
  } catch (const std::exception& e) {
    throw UserError(
        what + " is not a readable torch.save() file: " + Error::one_line(e.what()).substr(0, 300));
  }
  if (!value.isGenericDict()) {
    throw UserError(what + " holds a " + value.tagKind() + ", expected a dictionary");
  }
  TorchRecord record;
  for (const auto& entry : value.toGenericDict()) {
    if (!entry.key().isString()) throw UserError(what + " has a key that is not a string");
    const std::string key = entry.key().toStringRef();
    const c10::IValue& v = entry.value();
    if (v.isString()) {
      record.strings[key] = v.toStringRef();
    } else if (v.isInt()) {
      record.integers[key] = v.toInt();
    } else if (v.isDouble()) {
      record.numbers[key] = v.toDouble();
    } else if (v.isGenericDict()) {
      NamedTensors& group = record.tensors[key];
      for (const auto& t : v.toGenericDict()) {
        if (!t.key().isString() || !t.value().isTensor()) {
          throw UserError(what + ": field '" + key + "' should map names to tensors, and has a " +
                          t.value().tagKind());
        }
        group.emplace_back(t.key().toStringRef(), t.value().toTensor());
      }
    } else {
      throw UserError(what + ": field '" + key + "' is a " + v.tagKind() +
                      "; expected a string, an integer, a double or a dictionary of tensors");
    }
  }
  return record;
}

}  // namespace metabench
