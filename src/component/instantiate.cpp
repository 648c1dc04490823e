// Instantiation (Explainer "Instance Definitions"): walks a component's definitions in binary
// order, building each index space as it goes: core modules are instantiated with the core
// instances the component names, functions are lifted and lowered, resource types get their
// run-time identity, imports are bound to what the Linker or the enclosing component provides.
// Also the Component, Store, Linker and Instance entry points.
#include "abi_types.h"
#include "runtime.h"

#include <fmt/format.h>

#include <map>

namespace cirrus::component {

using detail::ComponentData;
using detail::Def;
using detail::InstanceState;
using detail::RScope;
using detail::Runtime;
using detail::Space;

// ---------------------------------------------------------------- Component

Component::Component(std::unique_ptr<detail::ComponentData> data) : data_(std::move(data)) {}
Component::~Component() = default;

Result<std::shared_ptr<const Component>> Component::compile(const wasm::Engine& engine,
                                                            std::span<const uint8_t> bytes) {
    CIRRUS_TRY_ASSIGN(auto data, detail::decode_component(engine, bytes));
    return std::shared_ptr<const Component>(new Component(std::move(data)));
}

const ComponentType& Component::type() const {
    return *data_->type;
}

// ---------------------------------------------------------------- Instance

Func* Instance::get_func(std::string_view name) const {
    for (const auto& e : exports_) {
        if (e.sort == Sort::Func && e.name == name) return e.func;
    }
    // "iface#func" or "iface.func": a function of an exported instance.
    for (char sep : {'#', '.'}) {
        size_t pos = name.rfind(sep);
        if (pos == std::string_view::npos) continue;
        if (Instance* inner = get_instance(name.substr(0, pos))) {
            if (Func* f = inner->get_func(name.substr(pos + 1))) return f;
        }
    }
    return nullptr;
}

Instance* Instance::get_instance(std::string_view name) const {
    for (const auto& e : exports_) {
        if (e.sort == Sort::Instance && e.name == name) return e.instance;
    }
    return nullptr;
}

// ---------------------------------------------------------------- Store

Store::Store(const wasm::Engine& engine, wasm::StoreLimits limits)
    : core_(engine, limits), runtime_(std::make_unique<detail::Runtime>()) {
    runtime_->store = this;
}
// The instances die with the Store, and so do the handles their tables still hold: an own
// handle of a host resource the guest never dropped has its host destructor run here, or the
// host object behind it would outlive the instance (a `cirrus serve` worker's capability
// session serves one Store after another). Guest resources need nothing: their instance goes.
Store::~Store() {
    for (const auto& state : runtime_->states) {
        for (const detail::HandleElem& h : state->handles) {
            if (h.used && h.own && h.resource && !h.resource->owner && h.resource->host_dtor)
                h.resource->host_dtor(h.rep);
        }
    }
}

Result<std::optional<Val>> Store::call(Func* func, std::span<const Val> args) {
    if (!func) return Error(ErrorKind::Usage, "no function to call");
    const FuncType& ft = func->type();
    if (args.size() != ft.params.size())
        return Error(ErrorKind::Usage,
                     fmt::format("expected {} arguments, got {}", ft.params.size(), args.size()));
    for (size_t i = 0; i < args.size(); ++i) {
        std::string why;
        if (!val_matches(args[i], ft.params[i].second, &why))
            return Error(ErrorKind::Usage,
                         fmt::format("argument `{}`: {}", ft.params[i].first, why));
    }
    return runtime_->call(func, args);
}

Result<void> Store::drop_resource(const Val& own) {
    if (own.kind != TypeKind::Own || !own.resource)
        return Error(ErrorKind::Usage, "not an own handle");
    return runtime_->destroy(own.resource, own.rep());
}

// ---------------------------------------------------------------- instantiation

namespace {

// One run-time item of any component-level sort.
struct RItem {
    Sort sort = Sort::Func;
    Func* func = nullptr;
    Instance* instance = nullptr;
    ResourceImpl* resource = nullptr;
    const ComponentData* component = nullptr;
    RScope* component_parent = nullptr;
    const detail::CoreModuleDef* module = nullptr;
};

Instance::Export export_of(std::string name, const RItem& it) {
    Instance::Export e{std::move(name), it.sort, it.func, it.instance, it.resource};
    e.component = it.component;
    e.component_scope = it.component_parent;
    e.module = it.module;
    return e;
}

RItem item_of(const Instance::Export& e) {
    RItem it;
    it.sort = e.sort;
    it.func = e.func;
    it.instance = e.instance;
    it.resource = e.resource;
    it.component = e.component;
    it.component_parent = e.component_scope;
    it.module = e.module;
    return it;
}

const InstanceType* type_of_instance(Runtime& rt, Instance& inst) {
    auto it = std::make_unique<InstanceType>();
    for (const auto& e : inst.exports()) {
        ExternType et;
        et.sort = e.sort;
        if (e.func) et.func = &e.func->type();
        if (e.instance) et.instance = &e.instance->type();
        if (e.component) et.component = e.component->type;
        if (e.module) et.core_module = e.module->type;
        if (e.sort == Sort::Type) {
            static const ResourceType opaque{"opaque"};
            et.resource = e.resource ? e.resource->decl : &opaque;
        }
        it->exports.emplace_back(e.name, et);
    }
    rt.instance_types.push_back(std::move(it));
    return rt.instance_types.back().get();
}

Instance* new_instance(Runtime& rt) {
    rt.instances.push_back(std::make_unique<Instance>());
    return rt.instances.back().get();
}

RItem item_at(RScope& s, detail::SortIdx si) {
    RItem it;
    switch (si.space) {
    case Space::Func:
        it.sort = Sort::Func;
        it.func = s.funcs[si.index];
        break;
    case Space::Instance:
        it.sort = Sort::Instance;
        it.instance = s.instances[si.index];
        break;
    case Space::Type:
        it.sort = Sort::Type;
        it.resource = s.types[si.index];
        break;
    case Space::Component:
        it.sort = Sort::Component;
        it.component = s.components[si.index].first;
        it.component_parent = s.components[si.index].second;
        break;
    case Space::CoreModule:
        it.sort = Sort::CoreModule;
        it.module = s.modules[si.index];
        break;
    default: break;
    }
    return it;
}

} // namespace

namespace detail {

class Instantiator {
public:
    // Replays the lookups of `replay` when given, else records them into `record` (if given).
    Instantiator(Runtime& rt, const LookupTape* replay, LookupTape* record)
        : rt_(rt), replay_(replay), record_(record) {}

    Result<Instance*> run(const ComponentData& data, RScope* parent,
                          const std::map<std::string, RItem>& args, std::string name);

private:
    void push(RScope& s, InstanceState* st, const RItem& it, const ResourceType* decl);
    void bind_instance_resources(InstanceState* st, const InstanceType* type, Instance* inst);
    Result<wasm::Instance*> instantiate_core(RScope& s, const Def& def);
    // The position of the entry named `name` in `list` (none: UINT32_MAX).
    template <class List, class NameOf>
    uint32_t lookup(const List& list, std::string_view name, NameOf name_of);
    Runtime& rt_;
    const LookupTape* replay_;
    LookupTape* record_;
    size_t cursor_ = 0;
};

template <class List, class NameOf>
uint32_t Instantiator::lookup(const List& list, std::string_view name, NameOf name_of) {
    if (replay_ && cursor_ < replay_->positions.size()) {
        uint32_t pos = replay_->positions[cursor_++];
        if (pos < list.size() && name_of(list[pos]) == name) return pos;
    }
    uint32_t found = UINT32_MAX;
    for (size_t i = 0; i < list.size(); ++i) {
        if (name_of(list[i]) == name) {
            found = static_cast<uint32_t>(i);
            break;
        }
    }
    if (record_) record_->positions.push_back(found);
    return found;
}

// Each import of the module comes from the export of the same name of the core instance given
// as the argument named like the import's module; imports are passed by position.
Result<wasm::Instance*> Instantiator::instantiate_core(RScope& s, const Def& def) {
    const auto& module = s.modules[def.a]->module;
    const auto& imports = module->imports();
    std::vector<wasm::Extern> externs(imports.size());
    auto export_name = [](const std::pair<std::string, wasm::Extern>& e) -> std::string_view {
        return e.first;
    };
    for (size_t i = 0; i < imports.size(); ++i) {
        const wasm::ImportDesc& imp = imports[i];
        const CoreInst* from = nullptr;
        for (const auto& arg : def.args) {
            if (arg.name == imp.module) from = s.core_instances[arg.target.index];
        }
        uint32_t pos = from ? lookup(from->exports(), imp.name, export_name) : UINT32_MAX;
        if (pos == UINT32_MAX)
            return Error(ErrorKind::Unlinkable,
                         fmt::format("{} import \"{}\" \"{}\": unknown import",
                                     wasm::extern_kind_name(imp.type.kind), imp.module, imp.name));
        externs[i] = from->exports()[pos].second;
    }
    return wasm::Linker::instantiate(rt_.store->core(), module, externs);
}

void Instantiator::push(RScope& s, InstanceState* st, const RItem& it, const ResourceType* decl) {
    switch (it.sort) {
    case Sort::Func: s.funcs.push_back(it.func); break;
    case Sort::Instance: s.instances.push_back(it.instance); break;
    case Sort::Type:
        s.types.push_back(it.resource);
        if (decl && it.resource) st->resources[decl] = it.resource;
        break;
    case Sort::Component: s.components.emplace_back(it.component, it.component_parent); break;
    case Sort::CoreModule: s.modules.push_back(it.module); break;
    case Sort::Value: break;
    }
}

// An imported instance's resource types take the identity of what was provided.
void Instantiator::bind_instance_resources(InstanceState* st, const InstanceType* type,
                                           Instance* inst) {
    if (!type || !inst) return;
    for (const auto& [name, et] : type->exports) {
        bool resource = et.sort == Sort::Type && et.resource;
        if (!resource && et.sort != Sort::Instance) continue;
        uint32_t pos = lookup(inst->exports(), name,
                              [](const Instance::Export& e) -> std::string_view { return e.name; });
        if (pos == UINT32_MAX) continue;
        const Instance::Export& e = inst->exports()[pos];
        if (resource && e.resource) st->resources[et.resource] = e.resource;
        if (et.sort == Sort::Instance) bind_instance_resources(st, et.instance, e.instance);
    }
}

Result<Instance*> Instantiator::run(const ComponentData& data, RScope* parent,
                                    const std::map<std::string, RItem>& args, std::string name) {
    rt_.states.push_back(std::make_unique<InstanceState>());
    InstanceState* st = rt_.states.back().get();
    st->name = std::move(name);
    rt_.scopes.push_back(std::make_unique<RScope>());
    RScope& s = *rt_.scopes.back();
    s.parent = parent;
    s.data = &data;
    s.state = st;
    Instance* self = new_instance(rt_);
    wasm::Store& core = rt_.store->core();

    for (const Def& def : data.defs) {
        switch (def.op) {
        case Def::Op::CoreModule: s.modules.push_back(&data.modules[def.a]); break;
        case Def::Op::CoreInstantiate: {
            CIRRUS_TRY_ASSIGN(wasm::Instance * inst, instantiate_core(s, def));
            auto ci = std::make_unique<detail::CoreInst>();
            ci->instance = inst;
            s.core_instances.push_back(ci.get());
            rt_.core_instances.push_back(std::move(ci));
            break;
        }
        case Def::Op::CoreInlineExports: {
            auto ci = std::make_unique<detail::CoreInst>();
            for (const auto& arg : def.args) {
                wasm::Extern ext;
                uint32_t i = arg.target.index;
                switch (arg.target.space) {
                case Space::CoreFunc: ext = wasm::Extern::of(s.core_funcs[i]); break;
                case Space::CoreTable: ext = wasm::Extern::of(s.core_tables[i]); break;
                case Space::CoreMemory: ext = wasm::Extern::of(s.core_memories[i]); break;
                case Space::CoreGlobal: ext = wasm::Extern::of(s.core_globals[i]); break;
                default: continue;
                }
                ci->inline_exports.emplace_back(arg.name, ext);
            }
            s.core_instances.push_back(ci.get());
            rt_.core_instances.push_back(std::move(ci));
            break;
        }
        case Def::Op::Component: s.components.emplace_back(data.components[def.a].get(), &s); break;
        case Def::Op::Instantiate: {
            std::map<std::string, RItem> child_args;
            for (const auto& arg : def.args) child_args[arg.name] = item_at(s, arg.target);
            auto [child, child_parent] = s.components[def.a];
            if (!child)
                return Error(ErrorKind::Unlinkable,
                             fmt::format("component {} was not provided", def.a));
            CIRRUS_TRY_ASSIGN(Instance * inst,
                              run(*child, child_parent, child_args,
                                  st->name + "/instance" + std::to_string(s.instances.size())));
            s.instances.push_back(inst);
            break;
        }
        case Def::Op::InlineExports: {
            Instance* inst = new_instance(rt_);
            for (const auto& arg : def.args) {
                inst->exports_.push_back(export_of(arg.name, item_at(s, arg.target)));
            }
            inst->type_ = type_of_instance(rt_, *inst);
            s.instances.push_back(inst);
            break;
        }
        case Def::Op::AliasExport: {
            Instance* inst = s.instances[def.a];
            RItem it;
            // A value type the providing instance does not hold (see extern_subtype) still
            // belongs to the type index space, never the function one.
            if (def.space == Space::Type) it.sort = Sort::Type;
            uint32_t pos =
                lookup(inst->exports(), def.name,
                       [](const Instance::Export& e) -> std::string_view { return e.name; });
            if (pos != UINT32_MAX) it = item_of(inst->exports()[pos]);
            push(s, st, it, def.resource);
            break;
        }
        case Def::Op::AliasCoreExport: {
            const auto& list = s.core_instances[def.a]->exports();
            uint32_t pos =
                lookup(list, def.name,
                       [](const std::pair<std::string, wasm::Extern>& e) -> std::string_view {
                           return e.first;
                       });
            if (pos == UINT32_MAX) return trap(fmt::format("core export `{}` missing", def.name));
            const wasm::Extern* ext = &list[pos].second;
            switch (def.space) {
            case Space::CoreFunc: s.core_funcs.push_back(ext->func()); break;
            case Space::CoreTable: s.core_tables.push_back(ext->table()); break;
            case Space::CoreMemory: s.core_memories.push_back(ext->memory()); break;
            case Space::CoreGlobal: s.core_globals.push_back(ext->global()); break;
            default: break;
            }
            break;
        }
        case Def::Op::AliasOuter: {
            RScope* target = &s;
            for (uint32_t i = 0; i < def.a && target; ++i) target = target->parent;
            if (!target) return trap("outer alias beyond the outermost component");
            switch (def.space) {
            case Space::Type:
                s.types.push_back(target->types[def.b]);
                if (def.resource && target->types[def.b])
                    st->resources[def.resource] = target->types[def.b];
                break;
            case Space::CoreModule: s.modules.push_back(target->modules[def.b]); break;
            case Space::Component: s.components.push_back(target->components[def.b]); break;
            default: break;
            }
            break;
        }
        case Def::Op::Type: {
            if (def.space != Space::Type) break; // core types have no run-time part
            ResourceImpl* impl = nullptr;
            if (def.resource) {
                auto r = std::make_unique<ResourceImpl>();
                r->decl = def.resource;
                r->owner = st;
                if (def.b) r->dtor = s.core_funcs[def.b - 1];
                impl = r.get();
                rt_.resources.push_back(std::move(r));
                st->resources[def.resource] = impl;
            }
            s.types.push_back(impl);
            break;
        }
        case Def::Op::CanonLift: {
            auto f = std::make_unique<Func>();
            f->type_ = def.func_type;
            f->owner_ = st;
            f->core_ = s.core_funcs[def.a];
            if (def.opts.memory) f->memory_ = s.core_memories[*def.opts.memory];
            if (def.opts.realloc) f->realloc_ = s.core_funcs[*def.opts.realloc];
            if (def.opts.post_return) f->post_return_ = s.core_funcs[*def.opts.post_return];
            f->encoding_ = def.opts.encoding;
            f->params_in_memory_ = def.params_in_memory;
            f->results_in_memory_ = def.results_in_memory;
            s.funcs.push_back(f.get());
            rt_.funcs.push_back(std::move(f));
            break;
        }
        case Def::Op::CanonLower: {
            wasm::Memory* mem = def.opts.memory ? s.core_memories[*def.opts.memory] : nullptr;
            wasm::Func* realloc = def.opts.realloc ? s.core_funcs[*def.opts.realloc] : nullptr;
            s.core_funcs.push_back(rt_.lower(s.funcs[def.a], st, mem, realloc, def));
            break;
        }
        case Def::Op::ResourceNew:
        case Def::Op::ResourceDrop:
        case Def::Op::ResourceRep: {
            Runtime* rt = &rt_;
            const ResourceType* decl = def.resource;
            Def::Op op = def.op;
            auto fn = [rt, st, decl, op](wasm::Caller&, std::span<const wasm::Value> a,
                                         std::span<wasm::Value> r) -> Result<void> {
                ResourceImpl* impl = st->resource(decl);
                uint32_t x = a[0].as_u32();
                if (op == Def::Op::ResourceNew) {
                    detail::HandleElem e;
                    e.resource = impl;
                    e.rep = x;
                    e.own = true;
                    r[0] = wasm::Value::i32(static_cast<int32_t>(st->add(e)));
                    return {};
                }
                if (op == Def::Op::ResourceRep) {
                    CIRRUS_TRY_ASSIGN(detail::HandleElem * e, st->get(x));
                    if (e->resource != impl)
                        return trap(fmt::format("handle index {} used with the wrong resource "
                                                "type",
                                                x));
                    r[0] = wasm::Value::i32(static_cast<int32_t>(e->rep));
                    return {};
                }
                return rt->drop_handle(st, impl, x);
            };
            s.core_funcs.push_back(
                core.create_host_func(&def.core_type, def.core_type_id, std::move(fn)));
            break;
        }
        case Def::Op::Import: {
            auto found = args.find(def.name);
            if (found == args.end())
                return Error(ErrorKind::Unlinkable,
                             fmt::format("import `{}` was not provided", def.name));
            const RItem& it = found->second;
            if (def.ext.sort == Sort::Type && def.ext.resource && it.resource)
                st->resources[def.ext.resource] = it.resource;
            if (def.ext.sort == Sort::Instance)
                bind_instance_resources(st, def.ext.instance, it.instance);
            push(s, st, it, nullptr);
            break;
        }
        case Def::Op::Export: {
            RItem it = item_at(s, def.target);
            self->exports_.push_back(export_of(def.name, it));
            push(s, st, it, def.resource);
            break;
        }
        }
    }
    self->type_ = type_of_instance(rt_, *self);
    return self;
}

} // namespace detail

// ---------------------------------------------------------------- Linker

struct Linker::Def {
    std::string name;
    std::vector<std::pair<std::string, Func*>> funcs;
    std::vector<std::pair<std::string, ResourceImpl*>> resources;
    Instance* instance = nullptr; // a component instance provided as a whole
};

Linker::Linker() : types_(std::make_unique<TypeArena>()) {}
Linker::~Linker() = default;

Linker::Def& Linker::def(std::string_view instance) {
    for (auto& d : defs_) {
        if (d->name == instance) return *d;
    }
    defs_.push_back(std::make_unique<Def>());
    defs_.back()->name = std::string(instance);
    return *defs_.back();
}

void Linker::define_func(std::string_view instance, std::string_view name, const FuncType* type,
                         HostFunc fn) {
    auto f = std::make_unique<Func>();
    f->type_ = type;
    f->host_ = std::move(fn);
    def(instance).funcs.emplace_back(std::string(name), f.get());
    host_funcs_.push_back(std::move(f));
}

ResourceImpl* Linker::define_resource(std::string_view instance, std::string_view name,
                                      std::function<void(uint32_t)> dtor) {
    auto r = std::make_unique<ResourceImpl>();
    r->decl = types_->resource(std::string(name));
    r->host_dtor = std::move(dtor);
    def(instance).resources.emplace_back(std::string(name), r.get());
    host_resources_.push_back(std::move(r));
    return host_resources_.back().get();
}

void Linker::alias_resource(std::string_view instance, std::string_view name,
                            ResourceImpl* resource) {
    def(instance).resources.emplace_back(std::string(name), resource);
}

Result<void> Linker::define_instance(std::string_view as, Instance* instance) {
    if (!instance) return Error(ErrorKind::Usage, "no instance to define");
    Def& d = def(as);
    if (!d.funcs.empty() || !d.resources.empty())
        return Error(ErrorKind::Usage,
                     fmt::format("`{}` already has host definitions", std::string(as)));
    d.instance = instance;
    return {};
}

// What an InstancePre binds the imports to: for each import name, the host function,
// resource or instance, with the host instances (and their types) it built for them.
struct InstancePre::Imports {
    std::map<std::string, RItem> args;
    std::vector<std::unique_ptr<Instance>> host_instances;
    std::vector<std::unique_ptr<InstanceType>> host_types;
};

InstancePre::InstancePre() : imports_(std::make_unique<Imports>()) {}
InstancePre::~InstancePre() = default;

// Whether an instance type asks for nothing at run time: its exports are value types and
// instances that ask for nothing.
static bool needs_nothing(const InstanceType& type) {
    for (const auto& [name, et] : type.exports) {
        if (et.sort == Sort::Type && !et.resource) continue;
        if (et.sort == Sort::Instance && needs_nothing(*et.instance)) continue;
        return false;
    }
    return true;
}

// An instance of such a type: its instance exports, each as empty.
Instance* InstancePre::empty_instance(Imports& imports, const InstanceType& type) {
    imports.host_instances.push_back(std::make_unique<Instance>());
    Instance* inst = imports.host_instances.back().get();
    inst->type_ = &type;
    for (const auto& [name, et] : type.exports) {
        if (et.sort == Sort::Instance)
            inst->exports_.push_back(
                {name, Sort::Instance, nullptr, empty_instance(imports, *et.instance), nullptr});
    }
    return inst;
}

Result<std::shared_ptr<const InstancePre>>
Linker::instantiate_pre(const std::shared_ptr<const Component>& component) {
    CIRRUS_TRY(detail::check_root(component->data()));
    std::shared_ptr<InstancePre> pre(new InstancePre());
    pre->component_ = component;
    InstancePre::Imports& imports = *pre->imports_;
    for (const auto& [name, expected] : component->type().imports) {
        RItem it;
        ExternType provided;
        const Def* root = nullptr;
        const Def* named = nullptr;
        for (const auto& d : defs_) {
            if (d->name.empty()) root = d.get();
            if (d->name == name) named = d.get();
        }
        bool found = false;
        if (expected.sort == Sort::Type && !expected.resource) {
            // A value type imported with an `eq` bound is fully known: nothing to provide.
            it.sort = Sort::Type;
            provided = expected;
            found = true;
        } else if (expected.sort == Sort::Instance && named) {
            Instance* inst = named->instance;
            if (!inst) {
                imports.host_instances.push_back(std::make_unique<Instance>());
                inst = imports.host_instances.back().get();
                auto type = std::make_unique<InstanceType>();
                for (const auto& [fname, f] : named->funcs) {
                    inst->exports_.push_back({fname, Sort::Func, f, nullptr, nullptr});
                    ExternType et;
                    et.func = &f->type();
                    type->exports.emplace_back(fname, et);
                }
                for (const auto& [rname, r] : named->resources) {
                    inst->exports_.push_back({rname, Sort::Type, nullptr, nullptr, r});
                    ExternType et;
                    et.sort = Sort::Type;
                    et.resource = r->decl;
                    type->exports.emplace_back(rname, et);
                }
                inst->type_ = type.get();
                imports.host_types.push_back(std::move(type));
            }
            it.sort = Sort::Instance;
            it.instance = inst;
            provided.sort = Sort::Instance;
            provided.instance = &inst->type();
            found = true;
        } else if (expected.sort == Sort::Func && root) {
            for (const auto& [fname, f] : root->funcs) {
                if (fname != name) continue;
                it.sort = Sort::Func;
                it.func = f;
                provided.sort = Sort::Func;
                provided.func = &f->type();
                found = true;
            }
        } else if (expected.sort == Sort::Type && root) {
            for (const auto& [rname, r] : root->resources) {
                if (rname != name) continue;
                it.sort = Sort::Type;
                it.resource = r;
                provided.sort = Sort::Type;
                provided.resource = r->decl;
                found = true;
            }
        }
        // What the linker has under this name when it is not what the import asks for.
        const char* other = named ? "instance" : nullptr;
        if (root) {
            for (const auto& f : root->funcs) {
                if (f.first == name) other = "func";
            }
            for (const auto& r : root->resources) {
                if (r.first == name) other = "resource type";
            }
        }
        if (!found && other)
            return Error(ErrorKind::Unlinkable,
                         fmt::format("component import `{}` has the wrong type: expected {}, "
                                     "found {}",
                                     name, sort_name(expected.sort), other));
        if (!found && expected.sort == Sort::Instance && needs_nothing(*expected.instance)) {
            // An instance with nothing to provide (value types, empty instances) need not be
            // defined: an empty instance stands for it.
            it.sort = Sort::Instance;
            it.instance = InstancePre::empty_instance(imports, *expected.instance);
            imports.args[name] = it;
            continue;
        }
        if (!found)
            return Error(ErrorKind::Unlinkable,
                         fmt::format("component import `{}` ({}) is not defined in the linker",
                                     name, sort_name(expected.sort)));
        std::string why;
        if (!extern_subtype(provided, expected, &why))
            return Error(ErrorKind::Unlinkable,
                         fmt::format("component import `{}` has the wrong type: {}", name, why));
        imports.args[name] = it;
    }
    return std::shared_ptr<const InstancePre>(std::move(pre));
}

Result<Instance*> InstancePre::instantiate(Store& store) const {
    Runtime& rt = store.runtime();
    rt.components.push_back(component_);
    rt.pres.push_back(shared_from_this());
    const detail::LookupTape* replay = tape_.load(std::memory_order_acquire);
    if (replay) {
        detail::Instantiator in(rt, replay, nullptr);
        return in.run(component_->data(), nullptr, imports_->args, "root");
    }
    auto record = std::make_unique<detail::LookupTape>();
    detail::Instantiator in(rt, nullptr, record.get());
    auto inst = in.run(component_->data(), nullptr, imports_->args, "root");
    if (inst.ok()) {
        std::lock_guard lock(tape_mutex_);
        if (!tape_owner_) {
            tape_owner_ = std::move(record);
            tape_.store(tape_owner_.get(), std::memory_order_release);
        }
    }
    return inst;
}

Result<Instance*> Linker::instantiate(Store& store,
                                      const std::shared_ptr<const Component>& component) {
    CIRRUS_TRY_ASSIGN(auto pre, instantiate_pre(component));
    return pre->instantiate(store);
}

} // namespace cirrus::component
