// Runtime objects of the embedding API: Engine, Module, Store and what it owns (functions,
// memories, tables, globals, instances), and the Linker that instantiates modules
// (spec 4.5.4: resolve imports, allocate, initialise elements and data, run start).
#include "cirrus/wasm/engine.h"

#include "interpreter.h"
#include "jit/jit.h"
#include "memory_image.h"
#include "module_data.h"

#include <cstdlib>
#include <cstring>
#include <fmt/format.h>
#include <sys/mman.h>

namespace cirrus::wasm {

using namespace detail;

// ---------------------------------------------------------------- type registry

namespace detail {
uint32_t TypeRegistry::intern(const FuncType& type) {
    std::string key;
    key.reserve(type.params.size() + type.results.size() + 1);
    for (ValType t : type.params) key.push_back(static_cast<char>(t));
    key.push_back('|');
    for (ValType t : type.results) key.push_back(static_cast<char>(t));
    std::lock_guard<std::mutex> lock(mutex_);
    auto [it, inserted] = ids_.emplace(std::move(key), static_cast<uint32_t>(ids_.size() + 1));
    return it->second;
}
} // namespace detail

// ---------------------------------------------------------------- engine, module

namespace {
std::atomic<int> g_default_tier{-1}; // -1: not read from the environment yet
} // namespace

Tier default_tier() {
    int t = g_default_tier.load(std::memory_order_relaxed);
    if (t < 0) {
        const char* v = std::getenv("CIRRUS_TIER");
        t = static_cast<int>(v && std::string_view(v) == "jit" ? Tier::Jit : Tier::Interpreter);
        g_default_tier.store(t, std::memory_order_relaxed);
    }
    return static_cast<Tier>(t);
}

void set_default_tier(Tier tier) {
    g_default_tier.store(static_cast<int>(tier), std::memory_order_relaxed);
}

Engine::Engine(EngineConfig config)
    : config_(config), types_(std::make_unique<TypeRegistry>()),
      memory_pool_(std::make_unique<MemoryPool>()) {}
Engine::~Engine() = default;

uint32_t Engine::type_id(const FuncType& type) const {
    return types_->intern(type);
}

Module::Module(std::unique_ptr<ModuleData> data) : data_(std::move(data)) {}
Module::~Module() = default;

Result<std::shared_ptr<const Module>> Module::compile(const Engine& engine,
                                                      std::span<const uint8_t> bytes) {
    CIRRUS_TRY_ASSIGN(auto data, decode_module(engine, bytes));
    for (size_t i = 0; i < data->exports.size(); ++i)
        data->export_index.emplace(data->exports[i].name, static_cast<uint32_t>(i));
    if (engine.config().tier == Tier::Jit)
        data->jit = JitModule::compile(*data, engine.config().jit_max_function_words);
    return std::shared_ptr<const Module>(new Module(std::move(data)));
}

std::optional<JitStats> Module::jit_stats() const {
    if (!data_->jit) return std::nullopt;
    const JitModule& j = *data_->jit;
    return JitStats{j.compiled_functions(), j.interpreted_functions(), j.translate_ms(),
                    j.codegen_ms(), j.fallback_reason()};
}

const std::vector<ImportDesc>& Module::imports() const {
    return data_->imports;
}
const std::vector<ExportDesc>& Module::exports() const {
    return data_->exports;
}
const std::vector<CustomSection>& Module::custom_sections() const {
    return data_->customs;
}
const ModuleData::InitPlan& ModuleData::init_plan() const {
    std::call_once(plan_once_, [this] {
        plan_.images.resize(memories.size());
        for (uint32_t i = num_imported_memories; i < memories.size(); ++i)
            plan_.images[i] = MemoryImage::build(*this, i);
        // Images only when every active segment is in one: a segment copied at instantiation
        // may trap, and the segments after it must then not appear applied.
        for (const DataSegment& seg : datas) {
            if (seg.active && !plan_.images[seg.memory]) {
                for (auto& image : plan_.images) image.reset();
                break;
            }
        }
        plan_.dropped_datas.resize(datas.size());
        for (uint32_t i = 0; i < datas.size(); ++i) {
            if (!datas[i].active) continue;
            plan_.dropped_datas[i] = true;
            if (!plan_.images[datas[i].memory]) plan_.copied_datas.push_back(i);
        }
    });
    return plan_;
}

std::string_view Module::function_name(uint32_t funcidx) const {
    auto it = data_->func_names.find(funcidx);
    return it == data_->func_names.end() ? std::string_view() : std::string_view(it->second);
}

// ---------------------------------------------------------------- memory

Memory::~Memory() {
    if (!base_) return;
    if (pool_)
        pool_->release(MemorySlot{base_, reserved_, size_, image_id_});
    else
        munmap(base_, reserved_);
}

Result<uint32_t> Memory::grow(uint32_t delta) {
    uint64_t old_pages = size_ / page_size;
    uint64_t new_pages = old_pages + delta;
    if (new_pages > limit_pages_)
        return make_error(ErrorKind::Limit,
                          fmt::format("memory.grow to {} pages exceeds the limit of {} pages",
                                      new_pages, limit_pages_));
    uint64_t new_size = new_pages * page_size;
    if (new_size > size_ && mprotect(base_ + size_, new_size - size_, PROT_READ | PROT_WRITE) != 0)
        return make_error(ErrorKind::Limit, "memory.grow: the host is out of memory");
    size_ = new_size;
    return static_cast<uint32_t>(old_pages);
}

Memory* Caller::memory() const {
    if (!instance_ || instance_->memories_.empty()) return nullptr;
    return instance_->memories_[0];
}

// ---------------------------------------------------------------- table, global

Result<Value> Table::get(uint32_t index) const {
    if (index >= elements_.size()) return make_error(ErrorKind::Trap, "out of bounds table access");
    return Value{type_.element, elements_[index]};
}

Result<void> Table::set(uint32_t index, Value value) {
    if (value.type != type_.element)
        return make_error(ErrorKind::Usage, "table.set: value of the wrong type");
    if (index >= elements_.size()) return make_error(ErrorKind::Trap, "out of bounds table access");
    elements_[index] = value.bits;
    return {};
}

Result<uint32_t> Table::grow(uint32_t delta, Value init) {
    uint64_t old = elements_.size();
    uint64_t n = old + delta;
    if (n > limit_)
        return make_error(
            ErrorKind::Limit,
            fmt::format("table.grow to {} elements exceeds the limit of {}", n, limit_));
    elements_.resize(n, init.bits);
    return static_cast<uint32_t>(old);
}

Result<void> Global::set(Value value) {
    if (!type_.mutable_) return make_error(ErrorKind::Usage, "global is immutable");
    if (value.type != type_.type)
        return make_error(ErrorKind::Usage, "global.set: value of the wrong type");
    value_ = value.bits;
    return {};
}

// ---------------------------------------------------------------- instance

std::optional<Extern> Instance::get_export(std::string_view name) const {
    const auto& index = module_->data().export_index;
    auto it = index.find(name);
    if (it == index.end()) return std::nullopt;
    return exports_[it->second].second;
}
Func* Instance::get_func(std::string_view name) const {
    auto e = get_export(name);
    return e ? e->func() : nullptr;
}
Memory* Instance::get_memory(std::string_view name) const {
    auto e = get_export(name);
    return e ? e->memory() : nullptr;
}
Table* Instance::get_table(std::string_view name) const {
    auto e = get_export(name);
    return e ? e->table() : nullptr;
}
Global* Instance::get_global(std::string_view name) const {
    auto e = get_export(name);
    return e ? e->global() : nullptr;
}

// ---------------------------------------------------------------- store

Store::Store(const Engine& engine, StoreLimits limits)
    : engine_(&engine), limits_(limits),
      interp_(std::make_unique<Interpreter>(*this, engine.config())) {}
Store::~Store() = default;

Func* Store::create_host_func(FuncType type, HostFunction fn) {
    auto f = std::make_unique<Func>();
    f->owned_type_ = std::make_unique<FuncType>(std::move(type));
    f->type_ = f->owned_type_.get();
    f->type_id_ = engine_->types().intern(*f->type_);
    f->host_ = std::make_unique<HostFunction>(std::move(fn));
    funcs_.push_back(std::move(f));
    return funcs_.back().get();
}

Func* Store::create_host_func(const FuncType* type, uint32_t type_id, HostFunction fn) {
    auto f = std::make_unique<Func>();
    f->type_ = type;
    f->type_id_ = type_id;
    f->host_ = std::make_unique<HostFunction>(std::move(fn));
    funcs_.push_back(std::move(f));
    return funcs_.back().get();
}

Result<Table*> Store::create_table(TableType type, Value init) {
    uint32_t limit =
        std::min<uint32_t>(type.limits.max.value_or(UINT32_MAX), limits_.max_table_elements);
    if (type.limits.min > limit)
        return make_error(ErrorKind::Limit,
                          fmt::format("table of {} elements exceeds the store's limit of {}",
                                      type.limits.min, limits_.max_table_elements));
    auto t = std::make_unique<Table>();
    t->type_ = type;
    t->limit_ = limit;
    t->elements_.assign(type.limits.min, init.bits);
    tables_.push_back(std::move(t));
    return tables_.back().get();
}

Result<Memory*> Store::create_memory(MemoryType type) {
    return create_memory(type, nullptr);
}

Result<Memory*> Store::create_memory(MemoryType type, const MemoryImage* image) {
    uint32_t limit = std::min<uint32_t>(type.limits.max.value_or(65536), limits_.max_memory_pages);
    if (type.limits.min > limit)
        return make_error(ErrorKind::Limit,
                          fmt::format("memory of {} pages exceeds the store's limit of {} pages",
                                      type.limits.min, limits_.max_memory_pages));
    // Address space for the largest size the memory may grow to (at least one page, so the
    // base is never null), from the engine's pool; pages are committed as it grows: growing
    // never moves it.
    uint64_t reserved = std::max<uint64_t>(uint64_t(limit) * Memory::page_size, Memory::page_size);
    uint64_t size = uint64_t(type.limits.min) * Memory::page_size;
    auto slot = engine_->memory_pool().acquire(reserved, size, image);
    if (!slot) return make_error(ErrorKind::Limit, "cannot reserve address space for a memory");
    auto m = std::make_unique<Memory>();
    m->type_ = type;
    m->limit_pages_ = limit;
    m->base_ = slot->base;
    m->reserved_ = slot->reserved;
    m->size_ = size;
    m->pool_ = &engine_->memory_pool();
    m->image_id_ = slot->image_id;
    memories_.push_back(std::move(m));
    return memories_.back().get();
}

Result<Global*> Store::create_global(GlobalType type, Value init) {
    if (init.type != type.type)
        return make_error(ErrorKind::Usage, "global initial value of the wrong type");
    auto g = std::make_unique<Global>();
    g->type_ = type;
    g->value_ = init.bits;
    globals_.push_back(std::move(g));
    return globals_.back().get();
}

Result<std::vector<Value>> Store::call(Func* func, std::span<const Value> args) {
    const FuncType& ft = func->type();
    if (args.size() != ft.params.size())
        return make_error(ErrorKind::Usage, fmt::format("expected {} arguments, got {}",
                                                        ft.params.size(), args.size()));
    for (size_t i = 0; i < args.size(); ++i) {
        if (args[i].type != ft.params[i])
            return make_error(ErrorKind::Usage, fmt::format("argument {} has type {}, expected {}",
                                                            i, val_type_name(args[i].type),
                                                            val_type_name(ft.params[i])));
    }
    uint64_t* slots = interp_->scratch();
    size_t needed = std::max(ft.params.size(), ft.results.size());
    if (slots + needed > interp_->stack_end())
        return make_error(ErrorKind::Exhaustion, "call stack exhausted");
    for (size_t i = 0; i < args.size(); ++i) slots[i] = args[i].bits;
    CIRRUS_TRY(interp_->call(func, slots));
    std::vector<Value> results(ft.results.size());
    for (size_t i = 0; i < results.size(); ++i) results[i] = Value{ft.results[i], slots[i]};
    return results;
}

void Store::set_epoch_deadline(uint64_t ticks_from_now) {
    deadline_.store(engine_->epoch() + ticks_from_now, std::memory_order_relaxed);
}
void Store::clear_epoch_deadline() {
    deadline_.store(UINT64_MAX, std::memory_order_relaxed);
}
void Store::interrupt() {
    deadline_.store(0, std::memory_order_relaxed);
}
void Store::set_fuel(std::optional<uint64_t> fuel) {
    fuel_enabled_ = fuel.has_value();
    fuel_ = fuel.value_or(0);
}
std::optional<uint64_t> Store::fuel() const {
    if (!fuel_enabled_) return std::nullopt;
    return fuel_;
}

// ---------------------------------------------------------------- linker

namespace {

std::string def_key(std::string_view module, std::string_view name) {
    std::string key(module);
    key.push_back('\0');
    key.append(name);
    return key;
}

bool limits_match(const Limits& actual, const Limits& wanted) {
    if (actual.min < wanted.min) return false;
    if (wanted.max) {
        if (!actual.max || *actual.max > *wanted.max) return false;
    }
    return true;
}

Error unlinkable(const ImportDesc& imp, std::string why) {
    return Error(ErrorKind::Unlinkable,
                 fmt::format("{} import \"{}\" \"{}\": {}", extern_kind_name(imp.type.kind),
                             imp.module, imp.name, why));
}

uint64_t eval_const(const ConstExpr& e, const Instance& inst, const std::vector<Global*>& globals,
                    const std::vector<Func*>& funcs) {
    (void)inst;
    switch (e.kind) {
    case ConstExpr::Kind::Const: return e.bits;
    case ConstExpr::Kind::GlobalGet: return globals[e.index]->get().bits;
    case ConstExpr::Kind::RefFunc: return reinterpret_cast<uintptr_t>(funcs[e.index]);
    case ConstExpr::Kind::RefNull: return 0;
    }
    return 0;
}

} // namespace

// Makes a memory created from an image all zeros again (instantiation stopped before its data
// segments were due).
void Linker::unmap_image(Memory& mem) {
    MemorySlot slot{mem.base_, mem.reserved_, mem.size_, mem.image_id_};
    if (reset_slot_to_zero(slot, mem.size_)) {
        mem.image_id_ = 0;
    } else {
        // Cannot happen short of the kernel refusing to map: better no memory than a wrong one.
        mem.size_ = 0;
    }
}

void Linker::define(std::string_view module, std::string_view name, Extern value) {
    defs_[def_key(module, name)] = value;
}

void Linker::define_instance(std::string_view module, const Instance& instance) {
    for (const auto& [name, ext] : instance.exports()) define(module, name, ext);
}

Result<Instance*> Linker::instantiate(Store& store,
                                      const std::shared_ptr<const Module>& module) const {
    const ModuleData& m = module->data();
    std::vector<Extern> imports;
    imports.reserve(m.imports.size());
    for (const ImportDesc& imp : m.imports) {
        auto it = defs_.find(def_key(imp.module, imp.name));
        if (it == defs_.end()) return unlinkable(imp, "unknown import");
        imports.push_back(it->second);
    }
    return instantiate(store, module, imports);
}

Result<Instance*> Linker::instantiate(Store& store, const std::shared_ptr<const Module>& module,
                                      std::span<const Extern> imports) {
    const ModuleData& m = module->data();
    if (imports.size() != m.imports.size())
        return make_error(ErrorKind::Unlinkable,
                          fmt::format("the module has {} imports, {} were given", m.imports.size(),
                                      imports.size()));
    auto inst = std::make_unique<Instance>();
    inst->module_ = module;
    inst->funcs_.reserve(m.func_types.size());

    // Imports, checked by kind and type (spec 4.5.3 "import matching").
    for (size_t i = 0; i < m.imports.size(); ++i) {
        const ImportDesc& imp = m.imports[i];
        const Extern& ext = imports[i];
        if (!ext.object) return unlinkable(imp, "no object given");
        if (ext.kind != imp.type.kind)
            return unlinkable(
                imp, fmt::format("incompatible import type: expected a {}, found a {}",
                                 extern_kind_name(imp.type.kind), extern_kind_name(ext.kind)));
        switch (ext.kind) {
        case ExternKind::Func: {
            Func* f = ext.func();
            if (f->type_id_ != m.type_ids[m.import_type_index[i]])
                return unlinkable(imp,
                                  fmt::format("incompatible import type: expected {}, found {}",
                                              imp.type.func.to_string(), f->type().to_string()));
            inst->funcs_.push_back(f);
            break;
        }
        case ExternKind::Table: {
            Table* t = ext.table();
            TableType actual = t->type_;
            actual.limits.min = t->size();
            if (actual.element != imp.type.table.element ||
                !limits_match(actual.limits, imp.type.table.limits))
                return unlinkable(imp, "incompatible import type: table type or limits differ");
            inst->tables_.push_back(t);
            break;
        }
        case ExternKind::Memory: {
            Memory* mem = ext.memory();
            Limits actual = mem->type_.limits;
            actual.min = mem->pages();
            if (!limits_match(actual, imp.type.memory.limits))
                return unlinkable(imp, "incompatible import type: memory limits differ");
            inst->memories_.push_back(mem);
            break;
        }
        case ExternKind::Global: {
            Global* g = ext.global();
            if (!(g->type_ == imp.type.global))
                return unlinkable(imp,
                                  "incompatible import type: global type or mutability differ");
            inst->globals_.push_back(g);
            break;
        }
        }
    }

    Instance* self = inst.get();
    // Functions defined by the module, in one block (a JS engine defines tens of thousands).
    if (!m.code.empty()) {
        std::vector<Func>& block = store.func_blocks_.emplace_back();
        block.reserve(m.code.size()); // never reallocated: the instance points into it
        for (const FuncCode& code : m.code) {
            Func& f =
                block.emplace_back(Func(&m.types[code.type_index], m.type_ids[code.type_index],
                                        self, code.func_index, &code));
            self->funcs_.push_back(&f);
        }
    }
    for (size_t i = m.num_imported_tables; i < m.tables.size(); ++i) {
        CIRRUS_TRY_ASSIGN(Table * t,
                          store.create_table(m.tables[i], Value::null(m.tables[i].element)));
        self->tables_.push_back(t);
    }
    // A defined memory starts as the module's memory image when it has one (all active data
    // segments applied ahead of time), mapped copy-on-write.
    const ModuleData::InitPlan& plan = m.init_plan();
    const auto& images = plan.images;
    for (size_t i = m.num_imported_memories; i < m.memories.size(); ++i) {
        CIRRUS_TRY_ASSIGN(Memory * mem, store.create_memory(m.memories[i], images[i].get()));
        self->memories_.push_back(mem);
    }
    if (!self->memories_.empty()) self->memory0_ = self->memories_[0];
    for (size_t i = m.num_imported_globals; i < m.globals.size(); ++i) {
        const GlobalDef& def = m.globals[i];
        uint64_t v = eval_const(def.init, *self, self->globals_, self->funcs_);
        CIRRUS_TRY_ASSIGN(Global * g, store.create_global(def.type, Value{def.type.type, v}));
        self->globals_.push_back(g);
    }
    JitRuntime::bind_instance(store, *self);
    for (const ExportDesc& e : m.exports) {
        Extern ext;
        switch (e.kind) {
        case ExternKind::Func: ext = Extern::of(self->funcs_[e.index]); break;
        case ExternKind::Table: ext = Extern::of(self->tables_[e.index]); break;
        case ExternKind::Memory: ext = Extern::of(self->memories_[e.index]); break;
        case ExternKind::Global: ext = Extern::of(self->globals_[e.index]); break;
        }
        self->exports_.emplace_back(e.name, ext);
    }
    // Passive segments keep their references for table.init; active and declarative ones are
    // dropped once instantiated, so theirs go straight into the table below.
    self->elem_segments_.resize(m.elems.size());
    for (size_t i = 0; i < m.elems.size(); ++i) {
        const ElemSegment& seg = m.elems[i];
        if (seg.mode != ElemSegment::Mode::Passive) continue;
        auto& items = self->elem_segments_[i];
        items.reserve(seg.items.size());
        for (const ConstExpr& e : seg.items)
            items.push_back(eval_const(e, *self, self->globals_, self->funcs_));
    }
    self->data_dropped_.assign(m.datas.size(), false); // until they are applied below
    store.instances_.push_back(std::move(inst));

    // Element and data initialisation; a failure traps, and what was written stays.
    for (size_t i = 0; i < m.elems.size(); ++i) {
        const ElemSegment& seg = m.elems[i];
        if (seg.mode == ElemSegment::Mode::Active) {
            uint32_t offset =
                static_cast<uint32_t>(eval_const(seg.offset, *self, self->globals_, self->funcs_));
            Table* t = self->tables_[seg.table];
            if (uint64_t(offset) + seg.items.size() > t->elements_.size()) {
                // The data segments must not have been applied: undo the images.
                for (size_t j = m.num_imported_memories; j < m.memories.size(); ++j) {
                    if (images[j]) unmap_image(*self->memories_[j]);
                }
                return make_error(ErrorKind::Trap, "out of bounds table access");
            }
            uint64_t* out = t->elements_.data() + offset;
            for (const ConstExpr& e : seg.items)
                *out++ = e.kind == ConstExpr::Kind::RefFunc
                             ? reinterpret_cast<uintptr_t>(self->funcs_[e.index])
                             : eval_const(e, *self, self->globals_, self->funcs_);
        }
    }
    // Active data segments not in an image are copied in order; the first out of bounds traps.
    for (uint32_t i : plan.copied_datas) {
        const DataSegment& seg = m.datas[i];
        uint32_t offset =
            static_cast<uint32_t>(eval_const(seg.offset, *self, self->globals_, self->funcs_));
        Memory* mem = self->memories_[seg.memory];
        if (uint64_t(offset) + seg.size > mem->size_)
            return make_error(ErrorKind::Trap, "out of bounds memory access");
        if (seg.size) std::memcpy(mem->base_ + offset, m.bytes.data() + seg.begin, seg.size);
        self->data_dropped_[i] = true;
    }
    self->data_dropped_ = plan.dropped_datas;
    if (m.start) {
        CIRRUS_TRY(store.call(self->funcs_[*m.start], {}));
    }
    return self;
}

} // namespace cirrus::wasm
