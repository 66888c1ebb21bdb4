#include "model/torch_pickle.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <map>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "base/error.h"

namespace legrad {
namespace {

// What the stack can hold. Values are immutable once built except dicts, which are never
// shared (a memo reference to a dict is refused), so no value can contain itself.
struct Value;
using ValuePtr = std::shared_ptr<Value>;

enum class Kind { None, Bool, Int, String, Tuple, Dict, Global, Storage, Tensor, Mark };

struct Value {
  Kind kind = Kind::None;
  int64_t number = 0;           // Bool, Int
  std::string text;             // String, Global ("module name"), Storage key
  std::vector<ValuePtr> items;  // Tuple
  std::vector<std::pair<std::string, ValuePtr>> dict;  // Dict (string keys only)
  PickledTensor tensor;                                // Tensor; Storage: dtype, numel
  int depth = 0;  // nesting, bounded so that destruction cannot recurse without end
};

constexpr int kMaxDepth = 32;
// Bounds no state dict comes near (a ViT-g's data.pkl is a few hundred KB, a few thousand
// values): beyond them the input is hostile, and memory must not follow it.
constexpr size_t kMaxPickleBytes = 64u << 20;
constexpr size_t kMaxValues = 4u << 20;
constexpr size_t kMaxStringBytes = 4096;
constexpr int64_t kMaxElements = int64_t{1} << 36;

// The storage classes torch.save names, by dtype.
const std::map<std::string, at::ScalarType>& storage_types() {
  static const std::map<std::string, at::ScalarType> types = {
      {"torch FloatStorage", at::kFloat},       {"torch HalfStorage", at::kHalf},
      {"torch BFloat16Storage", at::kBFloat16}, {"torch DoubleStorage", at::kDouble},
      {"torch LongStorage", at::kLong},         {"torch IntStorage", at::kInt},
      {"torch ShortStorage", at::kShort},       {"torch CharStorage", at::kChar},
      {"torch ByteStorage", at::kByte},         {"torch BoolStorage", at::kBool},
  };
  return types;
}

bool is_allowed_global(const std::string& name) {
  return name == "collections OrderedDict" || name == "torch._utils _rebuild_tensor_v2" ||
         name == "torch._utils _rebuild_parameter" || storage_types().count(name) > 0;
}

class Unpickler {
 public:
  Unpickler(const uint8_t* data, size_t size, const std::string& source)
      : p_(data), begin_(data), end_(data + size), source_(source) {}

  ValuePtr run();

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(source_ + ": " + what + " (at byte " + std::to_string(offset()) + " of data.pkl)");
  }
  size_t offset() const { return static_cast<size_t>(p_ - begin_); }

  const uint8_t* take(size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) fail("the pickle ends early");
    const uint8_t* at = p_;
    p_ += n;
    return at;
  }
  uint64_t little_endian(size_t n) {
    const uint8_t* b = take(n);
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(b[i]) << (8 * i);
    return v;
  }
  std::string text(size_t n) {
    if (n > static_cast<size_t>(end_ - p_)) fail("a string runs past the end of the pickle");
    if (n > kMaxStringBytes) fail("a string is longer than any name in a state dict");
    const uint8_t* b = take(n);
    return std::string(reinterpret_cast<const char*>(b), n);
  }
  std::string line() {
    std::string out;
    for (;;) {
      const char c = static_cast<char>(*take(1));
      if (c == '\n') return out;
      if (out.size() > 256) fail("a global's name is too long");
      out += c;
    }
  }

  void push(ValuePtr v) {
    if (stack_.size() > (1u << 20)) fail("the pickle's stack is too deep");
    stack_.push_back(std::move(v));
  }
  ValuePtr pop() {
    if (stack_.empty() || stack_.back()->kind == Kind::Mark) fail("the pickle pops an empty stack");
    ValuePtr v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  // The values above the topmost mark, which is removed.
  std::vector<ValuePtr> pop_to_mark() {
    size_t m = stack_.size();
    while (m > 0 && stack_[m - 1]->kind != Kind::Mark) --m;
    if (m == 0) fail("the pickle has no mark to return to");
    std::vector<ValuePtr> out(stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
    stack_.resize(m - 1);
    return out;
  }
  ValuePtr& top() {
    if (stack_.empty() || stack_.back()->kind == Kind::Mark) fail("the pickle's stack is empty");
    return stack_.back();
  }

  ValuePtr make(Kind kind) {
    if (++values_ > kMaxValues) fail("the pickle holds more values than a state dict");
    auto v = std::make_shared<Value>();
    v->kind = kind;
    return v;
  }
  ValuePtr make_int(int64_t n) {
    auto v = make(Kind::Int);
    v->number = n;
    return v;
  }
  ValuePtr make_string(std::string s) {
    auto v = make(Kind::String);
    v->text = std::move(s);
    return v;
  }
  ValuePtr make_tuple(std::vector<ValuePtr> items) {
    auto v = make(Kind::Tuple);
    for (const auto& item : items) v->depth = std::max(v->depth, item->depth + 1);
    if (v->depth > kMaxDepth) fail("the pickle nests tuples too deeply");
    v->items = std::move(items);
    return v;
  }
  ValuePtr make_global(const std::string& module, const std::string& name) {
    const std::string full = module + " " + name;
    if (!is_allowed_global(full))
      fail("the pickle refers to " + module + "." + name +
           ", which a state dict does not need (refused, nothing is executed)");
    auto v = make(Kind::Global);
    v->text = full;
    return v;
  }

  void memo_put(uint64_t index) {
    if (top()->kind == Kind::Dict && !top()->dict.empty()) fail("a filled dict is memoized");
    if (memo_.size() > (1u << 20) && !memo_.count(index)) fail("the pickle's memo is too large");
    memo_[index] = top();
  }
  void memo_get(uint64_t index) {
    const auto it = memo_.find(index);
    if (it == memo_.end())
      fail("the pickle refers to memo entry " + std::to_string(index) + ", which it never stored");
    if (it->second->kind == Kind::Dict)
      fail("a dict is referenced twice, which a state dict never is");
    push(it->second);
  }

  // Each runs `op` if it is one of its opcodes, and says whether it was.
  bool push_literal(uint8_t op);
  bool build_container(uint8_t op);
  bool resolve_reference(uint8_t op);

  void set_items(ValuePtr& dict, const std::vector<ValuePtr>& items);
  ValuePtr reduce(const ValuePtr& callable, const ValuePtr& args);
  ValuePtr persistent_load(const ValuePtr& pid);
  ValuePtr rebuild_tensor(const std::vector<ValuePtr>& args);
  std::vector<int64_t> int_tuple(const ValuePtr& v, const char* what);

  const uint8_t* p_;
  const uint8_t* begin_;
  const uint8_t* end_;
  const std::string& source_;
  std::vector<ValuePtr> stack_;
  std::unordered_map<uint64_t, ValuePtr> memo_;
  size_t values_ = 0;
};

ValuePtr Unpickler::run() {
  for (;;) {
    const uint8_t op = *take(1);
    if (op == '.') return pop();  // STOP
    if (!push_literal(op) && !build_container(op) && !resolve_reference(op)) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", op);
      fail(std::string("pickle opcode ") + hex + " is not one a state dict uses");
    }
  }
}

// Protocol and framing, None, booleans, integers and strings.
bool Unpickler::push_literal(uint8_t op) {
  switch (op) {
    case 0x80:  // PROTO
      if (*take(1) > 5) fail("unknown pickle protocol");
      return true;
    case 0x95:  // FRAME: a length hint
      take(8);
      return true;
    case 'N':  // NONE
      push(make(Kind::None));
      return true;
    case 0x88:    // NEWTRUE
    case 0x89: {  // NEWFALSE
      auto v = make(Kind::Bool);
      v->number = op == 0x88;
      push(v);
      return true;
    }
    case 'J':  // BININT
      push(make_int(static_cast<int32_t>(little_endian(4))));
      return true;
    case 'K':  // BININT1
      push(make_int(static_cast<int64_t>(little_endian(1))));
      return true;
    case 'M':  // BININT2
      push(make_int(static_cast<int64_t>(little_endian(2))));
      return true;
    case 0x8a: {  // LONG1: little-endian two's complement of n bytes
      const size_t n = *take(1);
      if (n > 8) fail("an integer is too large");
      uint64_t raw = n == 0 ? 0 : little_endian(n);
      if (n > 0 && n < 8 && (raw >> (8 * n - 1)) & 1) raw |= ~uint64_t{0} << (8 * n);
      push(make_int(static_cast<int64_t>(raw)));
      return true;
    }
    case 'X':  // BINUNICODE
    case 'T':  // BINSTRING
      push(make_string(text(little_endian(4))));
      return true;
    case 0x8c:  // SHORT_BINUNICODE
    case 'U':   // SHORT_BINSTRING
      push(make_string(text(little_endian(1))));
      return true;
  }
  return false;
}

// Marks, tuples and dicts.
bool Unpickler::build_container(uint8_t op) {
  switch (op) {
    case '(':  // MARK
      push(make(Kind::Mark));
      return true;
    case '0':  // POP
      pop();
      return true;
    case ')':  // EMPTY_TUPLE
      push(make_tuple({}));
      return true;
    case 't':  // TUPLE
      push(make_tuple(pop_to_mark()));
      return true;
    case 0x85:    // TUPLE1
    case 0x86:    // TUPLE2
    case 0x87: {  // TUPLE3
      std::vector<ValuePtr> items(op - 0x84);
      for (size_t i = items.size(); i-- > 0;) items[i] = pop();
      push(make_tuple(std::move(items)));
      return true;
    }
    case '}':  // EMPTY_DICT
      push(make(Kind::Dict));
      return true;
    case 's': {  // SETITEM
      ValuePtr value = pop();
      ValuePtr key = pop();
      set_items(top(), {key, value});
      return true;
    }
    case 'u': {  // SETITEMS
      const std::vector<ValuePtr> items = pop_to_mark();
      set_items(top(), items);
      return true;
    }
    case 'b':  // BUILD: an OrderedDict's attributes (_metadata): not needed, dropped
      pop();
      if (top()->kind != Kind::Dict) fail("BUILD applies to something other than a dict");
      return true;
  }
  return false;
}

// Globals and their calls, tensors' storages, and the memo.
bool Unpickler::resolve_reference(uint8_t op) {
  switch (op) {
    case 'c': {  // GLOBAL
      const std::string module = line();
      const std::string name = line();
      push(make_global(module, name));
      return true;
    }
    case 0x93: {  // STACK_GLOBAL
      ValuePtr name = pop();
      ValuePtr module = pop();
      if (module->kind != Kind::String || name->kind != Kind::String)
        fail("STACK_GLOBAL needs two strings");
      push(make_global(module->text, name->text));
      return true;
    }
    case 'R': {  // REDUCE
      ValuePtr args = pop();
      ValuePtr callable = pop();
      push(reduce(callable, args));
      return true;
    }
    case 'Q':  // BINPERSID
      push(persistent_load(pop()));
      return true;
    case 'q':  // BINPUT
      memo_put(little_endian(1));
      return true;
    case 'r':  // LONG_BINPUT
      memo_put(little_endian(4));
      return true;
    case 0x94:  // MEMOIZE
      memo_put(memo_.size());
      return true;
    case 'h':  // BINGET
      memo_get(little_endian(1));
      return true;
    case 'j':  // LONG_BINGET
      memo_get(little_endian(4));
      return true;
  }
  return false;
}

void Unpickler::set_items(ValuePtr& dict, const std::vector<ValuePtr>& items) {
  if (dict->kind != Kind::Dict) fail("items are set on something other than a dict");
  if (items.size() % 2 != 0) fail("a dict is given a key without a value");
  for (size_t i = 0; i < items.size(); i += 2) {
    if (items[i]->kind != Kind::String) fail("a dict key is not a string");
    if (items[i + 1]->kind == Kind::Dict && items[i + 1] == dict) fail("a dict contains itself");
    dict->depth = std::max(dict->depth, items[i + 1]->depth + 1);
    if (dict->depth > kMaxDepth) fail("the pickle nests dicts too deeply");
    dict->dict.emplace_back(items[i]->text, items[i + 1]);
  }
}

std::vector<int64_t> Unpickler::int_tuple(const ValuePtr& v, const char* what) {
  if (v->kind != Kind::Tuple) fail(std::string("a tensor's ") + what + " is not a tuple");
  std::vector<int64_t> out;
  for (const auto& item : v->items) {
    if (item->kind != Kind::Int || item->number < 0)
      fail(std::string("a tensor's ") + what + " holds something other than a size");
    out.push_back(item->number);
  }
  return out;
}

// ('storage', <storage class>, key, location, numel): a storage record of the archive.
ValuePtr Unpickler::persistent_load(const ValuePtr& pid) {
  const auto& f = pid->items;
  if (pid->kind != Kind::Tuple || f.size() != 5 || f[0]->kind != Kind::String ||
      f[0]->text != "storage" || f[1]->kind != Kind::Global || f[2]->kind != Kind::String ||
      f[3]->kind != Kind::String || f[4]->kind != Kind::Int || f[4]->number < 0)
    fail("a persistent id is not a storage reference");
  const auto type = storage_types().find(f[1]->text);
  if (type == storage_types().end()) fail("a storage of type " + f[1]->text);
  const std::string& key = f[2]->text;
  if (key.empty() || key.size() > 64 || key.find_first_of("/\\.") != std::string::npos)
    fail("a storage key that is not a plain record name");
  auto v = make(Kind::Storage);
  v->text = key;
  v->tensor.storage = key;
  v->tensor.dtype = type->second;
  v->tensor.storage_numel = f[4]->number;
  return v;
}

// _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, backward_hooks[, metadata])
ValuePtr Unpickler::rebuild_tensor(const std::vector<ValuePtr>& args) {
  if (args.size() < 4 || args.size() > 7 || args[0]->kind != Kind::Storage ||
      args[1]->kind != Kind::Int)
    fail("_rebuild_tensor_v2 is called with other arguments than a tensor's");
  auto v = make(Kind::Tensor);
  v->tensor = args[0]->tensor;
  v->tensor.offset = args[1]->number;
  v->tensor.size = int_tuple(args[2], "size");
  v->tensor.stride = int_tuple(args[3], "stride");
  const PickledTensor& t = v->tensor;
  if (t.size.size() != t.stride.size() || t.size.size() > 8)
    fail("a tensor's size and stride differ in rank");
  // The view holds no more elements than its storage (a state dict's tensors never broadcast)
  // and the furthest element it reads lies inside the storage; every product is checked
  // before it is formed.
  constexpr int64_t kMaxReach = kMaxElements * 8;
  if (t.offset < 0 || t.offset > t.storage_numel || t.offset > kMaxReach)
    fail("a tensor's storage offset is out of range");
  int64_t numel = 1, last = t.offset;
  for (size_t i = 0; i < t.size.size(); ++i) {
    const int64_t size = t.size[i], stride = t.stride[i];
    if (size > kMaxElements || stride > kMaxElements)
      fail("a tensor's size or stride is out of range");
    numel = size == 0 ? 0 : (numel > kMaxElements / size ? kMaxElements + 1 : numel * size);
    if (size > 1 && stride > (kMaxReach - last) / (size - 1))
      fail("a tensor's view reaches past its storage");
    if (size > 1) last += (size - 1) * stride;
  }
  if (numel > std::max<int64_t>(t.storage_numel, 0) || numel > kMaxElements)
    fail("a tensor has more elements than its storage");
  if (numel > 0 && last >= t.storage_numel) fail("a tensor's view reaches past its storage");
  return v;
}

ValuePtr Unpickler::reduce(const ValuePtr& callable, const ValuePtr& args) {
  if (callable->kind != Kind::Global || args->kind != Kind::Tuple) fail("REDUCE of a non-global");
  const std::string& name = callable->text;
  if (name == "collections OrderedDict") {
    if (!args->items.empty()) fail("OrderedDict is called with arguments");
    return make(Kind::Dict);
  }
  if (name == "torch._utils _rebuild_tensor_v2") return rebuild_tensor(args->items);
  if (name == "torch._utils _rebuild_parameter") {  // (tensor, requires_grad, hooks)
    if (args->items.empty() || args->items[0]->kind != Kind::Tensor)
      fail("_rebuild_parameter is called without a tensor");
    return args->items[0];
  }
  fail(name + " is called, which a state dict never does");
}

}  // namespace

std::vector<PickledTensor> parse_state_dict_pickle(const uint8_t* data, size_t size,
                                                   const std::string& source) {
  if (size > kMaxPickleBytes) throw Error(source + ": data.pkl is larger than any state dict's");
  Unpickler unpickler(data, size, source);
  const ValuePtr root = unpickler.run();
  if (root->kind != Kind::Dict) throw Error(source + ": data.pkl does not hold a state dict");
  std::vector<PickledTensor> out;
  std::unordered_set<std::string> names;
  for (const auto& [name, value] : root->dict) {
    if (value->kind != Kind::Tensor)
      throw Error(source + ": the state dict's entry '" + name + "' is not a tensor");
    if (!names.insert(name).second)
      throw Error(source + ": the state dict names '" + name + "' twice");
    out.push_back(value->tensor);
    out.back().name = name;
  }
  if (out.empty()) throw Error(source + ": the state dict is empty");
  return out;
}

}  // namespace legrad
