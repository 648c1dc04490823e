// The decoded, validated form of a core module: everything the runtime needs to instantiate
// it, plus each function's pre-decoded code (see code.h). Built once by the decoder and then
// only read, so one ModuleData serves every instance on every thread.
#pragma once

#include "cirrus/wasm/engine.h"
#include "cirrus/wasm/types.h"
#include "memory_image.h"

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace cirrus::wasm::detail {

class JitModule;

// A constant expression: the forms allowed in Wasm 2.0 initialisers.
struct ConstExpr {
    enum class Kind : uint8_t { Const, GlobalGet, RefFunc, RefNull };
    Kind kind = Kind::Const;
    ValType type = ValType::I32;
    uint64_t bits = 0;  // Const
    uint32_t index = 0; // GlobalGet: global index; RefFunc: function index
};

struct GlobalDef {
    GlobalType type;
    ConstExpr init;
};

struct ElemSegment {
    enum class Mode : uint8_t { Passive, Active, Declarative };
    Mode mode = Mode::Passive;
    ValType type = ValType::FuncRef;
    uint32_t table = 0;
    ConstExpr offset;
    std::vector<ConstExpr> items;
};

struct DataSegment {
    bool active = false;
    uint32_t memory = 0;
    ConstExpr offset;
    uint32_t begin = 0; // byte range in ModuleData::bytes
    uint32_t size = 0;
};

// Pre-decoded code of one function body, produced by the validator.
struct FuncCode {
    uint32_t func_index = 0;
    uint32_t type_index = 0;
    uint32_t num_params = 0;
    uint32_t num_results = 0;
    uint32_t num_locals = 0;  // params + declared locals
    uint32_t frame_slots = 0; // locals + maximum operand stack height
    std::vector<uint32_t> code;
    uint32_t body_offset = 0; // byte offset of the body in the binary, for messages
};

struct ModuleData {
    std::vector<uint8_t> bytes; // the binary, kept for data segments

    std::vector<FuncType> types;
    std::vector<uint32_t> type_ids; // canonical id of each type from the engine's registry

    std::vector<ImportDesc> imports;
    std::vector<uint32_t> import_type_index; // per import: type index for funcs, else 0
    uint32_t num_imported_funcs = 0;
    uint32_t num_imported_tables = 0;
    uint32_t num_imported_memories = 0;
    uint32_t num_imported_globals = 0;

    std::vector<uint32_t> func_types; // type index per function (imports first)
    std::vector<TableType> tables;    // imports first
    std::vector<MemoryType> memories; // imports first
    std::vector<GlobalDef> globals;   // imports first (their init is unused)

    std::vector<ExportDesc> exports;
    // Export name -> position in `exports` (export names are unique).
    struct NameHash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    std::unordered_map<std::string, uint32_t, NameHash, std::equal_to<>> export_index;
    std::optional<uint32_t> start;
    std::vector<ElemSegment> elems;
    std::vector<DataSegment> datas;
    std::optional<uint32_t> data_count;

    std::vector<FuncCode> code; // one per defined function
    // Native code of the functions when the engine's tier is Tier::Jit (see jit/jit.h).
    std::shared_ptr<const JitModule> jit;

    std::vector<CustomSection> customs;
    std::string module_name;
    std::unordered_map<uint32_t, std::string> func_names;

    // What instantiation can do ahead of time, worked out on the first one.
    struct InitPlan {
        // Initial contents of each memory (by memory index; null: copy the segments), mapped
        // copy-on-write into every instance.
        std::vector<std::unique_ptr<MemoryImage>> images;
        // The active data segments whose memory has no image: copied at instantiation.
        std::vector<uint32_t> copied_datas;
        // data_dropped_ of an instance once its active segments are applied.
        std::vector<bool> dropped_datas;
    };
    const InitPlan& init_plan() const;

private:
    mutable std::once_flag plan_once_;
    mutable InitPlan plan_;
};

// Interns function types so that structurally equal types share one id across modules;
// call_indirect compares these ids. Thread-safe.
class TypeRegistry {
public:
    uint32_t intern(const FuncType& type);

private:
    std::mutex mutex_;
    std::unordered_map<std::string, uint32_t> ids_;
};

Result<std::unique_ptr<ModuleData>> decode_module(const Engine& engine,
                                                  std::span<const uint8_t> bytes);

} // namespace cirrus::wasm::detail
