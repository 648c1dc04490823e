// Decodes a binary module section by section (Binary Format, spec chapter 5) and checks the
// module-level validation rules (spec 3.4); function bodies are handed to the validator,
// which also produces their pre-decoded code.
#include "module_data.h"
#include "reader.h"
#include "validator.h"

#include <fmt/format.h>
#include <unordered_set>

namespace cirrus::wasm::detail {

namespace {

Error invalid_at(size_t offset, std::string what) {
    return Error(ErrorKind::Invalid, fmt::format("{} (at offset {})", what, offset));
}

// Position of each section id in the required order; custom sections (0) go anywhere.
int section_rank(uint8_t id) {
    switch (id) {
    case 1: return 1;   // type
    case 2: return 2;   // import
    case 3: return 3;   // function
    case 4: return 4;   // table
    case 5: return 5;   // memory
    case 6: return 6;   // global
    case 7: return 7;   // export
    case 8: return 8;   // start
    case 9: return 9;   // element
    case 12: return 10; // data count
    case 10: return 11; // code
    case 11: return 12; // data
    default: return -1;
    }
}

class Decoder {
public:
    Decoder(const Engine& engine, ModuleData& m) : engine_(engine), m_(m) {}

    Result<void> decode();

private:
    Result<ValType> val_type(Reader& r);
    Result<ValType> ref_type(Reader& r);
    Result<Limits> limits(Reader& r, uint64_t bound, const char* too_big);
    Result<TableType> table_type(Reader& r);
    Result<MemoryType> memory_type(Reader& r);
    Result<GlobalType> global_type(Reader& r);
    Result<ConstExpr> const_expr(Reader& r, ValType expected, bool only_imported_globals);

    Result<void> type_section(Reader& r);
    Result<void> import_section(Reader& r);
    Result<void> function_section(Reader& r);
    Result<void> table_section(Reader& r);
    Result<void> memory_section(Reader& r);
    Result<void> global_section(Reader& r);
    Result<void> export_section(Reader& r);
    Result<void> start_section(Reader& r);
    Result<void> element_section(Reader& r);
    Result<void> code_section(Reader& r);
    Result<void> data_section(Reader& r);
    void custom_section(Reader& r, std::string name, size_t end);
    void name_section(Reader r);

    Result<uint32_t> type_index(Reader& r) {
        size_t at = r.pos();
        CIRRUS_TRY_ASSIGN(uint32_t idx, r.u32());
        if (idx >= m_.types.size()) return invalid_at(at, fmt::format("unknown type {}", idx));
        return idx;
    }
    Result<uint32_t> func_index(Reader& r) {
        size_t at = r.pos();
        CIRRUS_TRY_ASSIGN(uint32_t idx, r.u32());
        if (idx >= m_.func_types.size())
            return invalid_at(at, fmt::format("unknown function {}", idx));
        return idx;
    }

    const Engine& engine_;
    ModuleData& m_;
    std::unordered_set<uint32_t> declared_refs_;
    uint32_t declared_funcs_ = 0; // from the function section
    bool saw_code_ = false;
};

Result<ValType> Decoder::val_type(Reader& r) {
    size_t at = r.pos();
    CIRRUS_TRY_ASSIGN(uint8_t b, r.u8());
    switch (b) {
    case 0x7F: return ValType::I32;
    case 0x7E: return ValType::I64;
    case 0x7D: return ValType::F32;
    case 0x7C: return ValType::F64;
    case 0x70: return ValType::FuncRef;
    case 0x6F: return ValType::ExternRef;
    case 0x7B: return invalid_at(at, "v128 (SIMD) is not supported");
    default: return Reader::error_at(at, fmt::format("malformed value type 0x{:02x}", b));
    }
}

Result<ValType> Decoder::ref_type(Reader& r) {
    size_t at = r.pos();
    CIRRUS_TRY_ASSIGN(uint8_t b, r.u8());
    if (b == 0x70) return ValType::FuncRef;
    if (b == 0x6F) return ValType::ExternRef;
    return Reader::error_at(at, fmt::format("malformed reference type 0x{:02x}", b));
}

Result<Limits> Decoder::limits(Reader& r, uint64_t bound, const char* too_big) {
    size_t at = r.pos();
    CIRRUS_TRY_ASSIGN(uint8_t flag, r.u8());
    if (flag > 1) return Reader::error_at(at, "integer too large: malformed limits flags");
    Limits l;
    size_t min_at = r.pos();
    CIRRUS_TRY_ASSIGN(l.min, r.u32());
    if (l.min > bound) return invalid_at(min_at, too_big);
    if (flag == 1) {
        size_t max_at = r.pos();
        CIRRUS_TRY_ASSIGN(uint32_t max, r.u32());
        if (max > bound) return invalid_at(max_at, too_big);
        if (max < l.min) return invalid_at(max_at, "size minimum must not be greater than maximum");
        l.max = max;
    }
    return l;
}

Result<TableType> Decoder::table_type(Reader& r) {
    TableType t;
    CIRRUS_TRY_ASSIGN(t.element, ref_type(r));
    CIRRUS_TRY_ASSIGN(t.limits, limits(r, UINT32_MAX, "table size must be at most 2^32-1"));
    return t;
}

Result<MemoryType> Decoder::memory_type(Reader& r) {
    MemoryType t;
    CIRRUS_TRY_ASSIGN(t.limits, limits(r, 65536, "memory size must be at most 65536 pages (4GiB)"));
    return t;
}

Result<GlobalType> Decoder::global_type(Reader& r) {
    GlobalType t;
    CIRRUS_TRY_ASSIGN(t.type, val_type(r));
    size_t at = r.pos();
    CIRRUS_TRY_ASSIGN(uint8_t mut, r.u8());
    if (mut > 1) return Reader::error_at(at, "malformed mutability");
    t.mutable_ = mut == 1;
    return t;
}

Result<ConstExpr> Decoder::const_expr(Reader& r, ValType expected, bool only_imported_globals) {
    ConstExpr e;
    size_t at = r.pos();
    CIRRUS_TRY_ASSIGN(uint8_t op, r.u8());
    switch (op) {
    case 0x41: {
        CIRRUS_TRY_ASSIGN(int32_t v, r.s32());
        e = {ConstExpr::Kind::Const, ValType::I32, static_cast<uint32_t>(v), 0};
        break;
    }
    case 0x42: {
        CIRRUS_TRY_ASSIGN(int64_t v, r.s64());
        e = {ConstExpr::Kind::Const, ValType::I64, static_cast<uint64_t>(v), 0};
        break;
    }
    case 0x43: {
        CIRRUS_TRY_ASSIGN(uint32_t v, r.fixed_u32());
        e = {ConstExpr::Kind::Const, ValType::F32, v, 0};
        break;
    }
    case 0x44: {
        CIRRUS_TRY_ASSIGN(uint64_t v, r.fixed_u64());
        e = {ConstExpr::Kind::Const, ValType::F64, v, 0};
        break;
    }
    case 0xD0: {
        CIRRUS_TRY_ASSIGN(ValType t, ref_type(r));
        e = {ConstExpr::Kind::RefNull, t, 0, 0};
        break;
    }
    case 0xD2: {
        CIRRUS_TRY_ASSIGN(uint32_t f, func_index(r));
        declared_refs_.insert(f);
        e = {ConstExpr::Kind::RefFunc, ValType::FuncRef, 0, f};
        break;
    }
    case 0x23: {
        size_t idx_at = r.pos();
        CIRRUS_TRY_ASSIGN(uint32_t g, r.u32());
        uint32_t limit = only_imported_globals ? m_.num_imported_globals
                                               : static_cast<uint32_t>(m_.globals.size());
        if (g >= limit) return invalid_at(idx_at, fmt::format("unknown global {}", g));
        if (m_.globals[g].type.mutable_) return invalid_at(idx_at, "constant expression required");
        e = {ConstExpr::Kind::GlobalGet, m_.globals[g].type.type, 0, g};
        break;
    }
    case 0x0B: return invalid_at(at, "type mismatch: empty constant expression");
    default:
        return invalid_at(at, fmt::format("constant expression required (opcode 0x{:02x})", op));
    }
    size_t end_at = r.pos();
    CIRRUS_TRY_ASSIGN(uint8_t end, r.u8());
    if (end != 0x0B) {
        // Another instruction: not a constant expression in Wasm 2.0.
        return invalid_at(end_at, "constant expression required");
    }
    if (e.type != expected)
        return invalid_at(at,
                          fmt::format("type mismatch: constant expression has type {}, expected {}",
                                      val_type_name(e.type), val_type_name(expected)));
    return e;
}

Result<void> Decoder::type_section(Reader& r) {
    CIRRUS_TRY_ASSIGN(uint32_t n, r.u32());
    for (uint32_t i = 0; i < n; ++i) {
        size_t at = r.pos();
        CIRRUS_TRY_ASSIGN(uint8_t form, r.u8());
        if (form != 0x60)
            return Reader::error_at(at, fmt::format("malformed function type form 0x{:02x}", form));
        FuncType ft;
        CIRRUS_TRY_ASSIGN(uint32_t np, r.u32());
        for (uint32_t j = 0; j < np; ++j) {
            CIRRUS_TRY_ASSIGN(ValType t, val_type(r));
            ft.params.push_back(t);
        }
        CIRRUS_TRY_ASSIGN(uint32_t nr, r.u32());
        for (uint32_t j = 0; j < nr; ++j) {
            CIRRUS_TRY_ASSIGN(ValType t, val_type(r));
            ft.results.push_back(t);
        }
        m_.type_ids.push_back(engine_.types().intern(ft));
        m_.types.push_back(std::move(ft));
    }
    return {};
}

Result<void> Decoder::import_section(Reader& r) {
    CIRRUS_TRY_ASSIGN(uint32_t n, r.u32());
    for (uint32_t i = 0; i < n; ++i) {
        ImportDesc imp;
        CIRRUS_TRY_ASSIGN(imp.module, r.name());
        CIRRUS_TRY_ASSIGN(imp.name, r.name());
        size_t at = r.pos();
        CIRRUS_TRY_ASSIGN(uint8_t kind, r.u8());
        uint32_t type_idx = 0;
        switch (kind) {
        case 0: {
            CIRRUS_TRY_ASSIGN(type_idx, type_index(r));
            imp.type.kind = ExternKind::Func;
            imp.type.func = m_.types[type_idx];
            m_.func_types.push_back(type_idx);
            ++m_.num_imported_funcs;
            break;
        }
        case 1: {
            imp.type.kind = ExternKind::Table;
            CIRRUS_TRY_ASSIGN(imp.type.table, table_type(r));
            m_.tables.push_back(imp.type.table);
            ++m_.num_imported_tables;
            break;
        }
        case 2: {
            imp.type.kind = ExternKind::Memory;
            CIRRUS_TRY_ASSIGN(imp.type.memory, memory_type(r));
            m_.memories.push_back(imp.type.memory);
            ++m_.num_imported_memories;
            if (m_.memories.size() > 1) return invalid_at(at, "multiple memories");
            break;
        }
        case 3: {
            imp.type.kind = ExternKind::Global;
            CIRRUS_TRY_ASSIGN(imp.type.global, global_type(r));
            m_.globals.push_back({imp.type.global, {}});
            ++m_.num_imported_globals;
            break;
        }
        default: return Reader::error_at(at, fmt::format("malformed import kind {}", kind));
        }
        m_.import_type_index.push_back(type_idx);
        m_.imports.push_back(std::move(imp));
    }
    return {};
}

Result<void> Decoder::function_section(Reader& r) {
    CIRRUS_TRY_ASSIGN(uint32_t n, r.u32());
    for (uint32_t i = 0; i < n; ++i) {
        CIRRUS_TRY_ASSIGN(uint32_t t, type_index(r));
        m_.func_types.push_back(t);
    }
    declared_funcs_ = n;
    return {};
}

Result<void> Decoder::table_section(Reader& r) {
    CIRRUS_TRY_ASSIGN(uint32_t n, r.u32());
    for (uint32_t i = 0; i < n; ++i) {
        CIRRUS_TRY_ASSIGN(TableType t, table_type(r));
        m_.tables.push_back(t);
    }
    return {};
}

Result<void> Decoder::memory_section(Reader& r) {
    CIRRUS_TRY_ASSIGN(uint32_t n, r.u32());
    for (uint32_t i = 0; i < n; ++i) {
        size_t at = r.pos();
        CIRRUS_TRY_ASSIGN(MemoryType t, memory_type(r));
        m_.memories.push_back(t);
        if (m_.memories.size() > 1) return invalid_at(at, "multiple memories");
    }
    return {};
}

Result<void> Decoder::global_section(Reader& r) {
    CIRRUS_TRY_ASSIGN(uint32_t n, r.u32());
    for (uint32_t i = 0; i < n; ++i) {
        GlobalDef g;
        CIRRUS_TRY_ASSIGN(g.type, global_type(r));
        CIRRUS_TRY_ASSIGN(g.init, const_expr(r, g.type.type, true));
        m_.globals.push_back(g);
    }
    return {};
}

Result<void> Decoder::export_section(Reader& r) {
    CIRRUS_TRY_ASSIGN(uint32_t n, r.u32());
    std::unordered_set<std::string> names;
    for (uint32_t i = 0; i < n; ++i) {
        ExportDesc e;
        size_t name_at = r.pos();
        CIRRUS_TRY_ASSIGN(e.name, r.name());
        size_t at = r.pos();
        CIRRUS_TRY_ASSIGN(uint8_t kind, r.u8());
        size_t idx_at = r.pos();
        CIRRUS_TRY_ASSIGN(e.index, r.u32());
        switch (kind) {
        case 0:
            if (e.index >= m_.func_types.size())
                return invalid_at(idx_at, fmt::format("unknown function {}", e.index));
            e.kind = ExternKind::Func;
            e.type.func = m_.types[m_.func_types[e.index]];
            declared_refs_.insert(e.index);
            break;
        case 1:
            if (e.index >= m_.tables.size())
                return invalid_at(idx_at, fmt::format("unknown table {}", e.index));
            e.kind = ExternKind::Table;
            e.type.table = m_.tables[e.index];
            break;
        case 2:
            if (e.index >= m_.memories.size())
                return invalid_at(idx_at, fmt::format("unknown memory {}", e.index));
            e.kind = ExternKind::Memory;
            e.type.memory = m_.memories[e.index];
            break;
        case 3:
            if (e.index >= m_.globals.size())
                return invalid_at(idx_at, fmt::format("unknown global {}", e.index));
            e.kind = ExternKind::Global;
            e.type.global = m_.globals[e.index].type;
            break;
        default: return Reader::error_at(at, fmt::format("malformed export kind {}", kind));
        }
        e.type.kind = e.kind;
        if (!names.insert(e.name).second)
            return invalid_at(name_at, fmt::format("duplicate export name \"{}\"", e.name));
        m_.exports.push_back(std::move(e));
    }
    return {};
}

Result<void> Decoder::start_section(Reader& r) {
    size_t at = r.pos();
    CIRRUS_TRY_ASSIGN(uint32_t f, func_index(r));
    const FuncType& t = m_.types[m_.func_types[f]];
    if (!t.params.empty() || !t.results.empty())
        return invalid_at(at, "start function must have type [] -> []");
    m_.start = f;
    return {};
}

Result<void> Decoder::element_section(Reader& r) {
    CIRRUS_TRY_ASSIGN(uint32_t n, r.u32());
    for (uint32_t i = 0; i < n; ++i) {
        ElemSegment seg;
        size_t at = r.pos();
        CIRRUS_TRY_ASSIGN(uint32_t flags, r.u32());
        if (flags > 7)
            return Reader::error_at(at, fmt::format("malformed elements segment kind {}", flags));
        bool passive_or_declarative = flags & 1;
        bool explicit_table = flags & 2;
        bool uses_exprs = flags & 4;
        if (!passive_or_declarative) {
            seg.mode = ElemSegment::Mode::Active;
            if (explicit_table) {
                size_t t_at = r.pos();
                CIRRUS_TRY_ASSIGN(seg.table, r.u32());
                if (seg.table >= m_.tables.size())
                    return invalid_at(t_at, fmt::format("unknown table {}", seg.table));
            } else if (m_.tables.empty()) {
                return invalid_at(at, "unknown table 0");
            }
            CIRRUS_TRY_ASSIGN(seg.offset, const_expr(r, ValType::I32, true));
        } else {
            seg.mode = explicit_table ? ElemSegment::Mode::Declarative : ElemSegment::Mode::Passive;
        }
        // Forms 0 and 4 have no element kind or type byte.
        bool has_kind = passive_or_declarative || explicit_table;
        if (has_kind) {
            if (uses_exprs) {
                CIRRUS_TRY_ASSIGN(seg.type, ref_type(r));
            } else {
                size_t k_at = r.pos();
                CIRRUS_TRY_ASSIGN(uint8_t kind, r.u8());
                if (kind != 0) return Reader::error_at(k_at, "malformed element kind");
                seg.type = ValType::FuncRef;
            }
        }
        CIRRUS_TRY_ASSIGN(uint32_t count, r.u32());
        for (uint32_t j = 0; j < count; ++j) {
            if (uses_exprs) {
                CIRRUS_TRY_ASSIGN(ConstExpr e, const_expr(r, seg.type, true));
                seg.items.push_back(e);
            } else {
                CIRRUS_TRY_ASSIGN(uint32_t f, func_index(r));
                declared_refs_.insert(f);
                seg.items.push_back({ConstExpr::Kind::RefFunc, ValType::FuncRef, 0, f});
            }
        }
        if (seg.mode == ElemSegment::Mode::Active && m_.tables[seg.table].element != seg.type)
            return invalid_at(at, "type mismatch: element segment type differs from the table's");
        m_.elems.push_back(std::move(seg));
    }
    return {};
}

Result<void> Decoder::code_section(Reader& r) {
    size_t at = r.pos();
    CIRRUS_TRY_ASSIGN(uint32_t n, r.u32());
    if (n != declared_funcs_)
        return Reader::error_at(at, "function and code section have inconsistent lengths");
    saw_code_ = true;
    FunctionContext ctx{m_, declared_refs_};
    m_.code.reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
        size_t size_at = r.pos();
        CIRRUS_TRY_ASSIGN(uint32_t size, r.u32());
        if (size > r.remaining())
            return Reader::error_at(size_at, "unexpected end: function body size out of bounds");
        size_t body_end = r.pos() + size;
        Reader body(r.bytes(), r.pos(), body_end);
        uint32_t func_index = m_.num_imported_funcs + i;
        CIRRUS_TRY_ASSIGN(FuncCode code, validate_function(ctx, func_index, body));
        m_.code.push_back(std::move(code));
        Reader skip(r.bytes(), body_end, r.end());
        r = skip;
    }
    return {};
}

Result<void> Decoder::data_section(Reader& r) {
    size_t at = r.pos();
    CIRRUS_TRY_ASSIGN(uint32_t n, r.u32());
    if (m_.data_count && *m_.data_count != n)
        return Reader::error_at(at, "data count and data section have inconsistent lengths");
    for (uint32_t i = 0; i < n; ++i) {
        DataSegment seg;
        size_t seg_at = r.pos();
        CIRRUS_TRY_ASSIGN(uint32_t flags, r.u32());
        if (flags > 2)
            return Reader::error_at(seg_at, fmt::format("malformed data segment kind {}", flags));
        if (flags != 1) {
            seg.active = true;
            if (flags == 2) {
                size_t m_at = r.pos();
                CIRRUS_TRY_ASSIGN(seg.memory, r.u32());
                if (seg.memory >= m_.memories.size())
                    return invalid_at(m_at, fmt::format("unknown memory {}", seg.memory));
            } else if (m_.memories.empty()) {
                return invalid_at(seg_at, "unknown memory 0");
            }
            CIRRUS_TRY_ASSIGN(seg.offset, const_expr(r, ValType::I32, true));
        }
        CIRRUS_TRY_ASSIGN(uint32_t len, r.u32());
        seg.begin = static_cast<uint32_t>(r.pos());
        CIRRUS_TRY(r.take(len));
        seg.size = len;
        m_.datas.push_back(seg);
    }
    return {};
}

void Decoder::custom_section(Reader& r, std::string name, size_t end) {
    CustomSection c;
    c.name = std::move(name);
    c.bytes.assign(r.bytes().begin() + r.pos(), r.bytes().begin() + end);
    if (c.name == "name") name_section(Reader(r.bytes(), r.pos(), end));
    m_.customs.push_back(std::move(c));
}

// The name section is advisory: a malformed one is ignored rather than rejecting the module.
void Decoder::name_section(Reader r) {
    while (!r.at_end()) {
        auto id = r.u8();
        auto size = r.u32();
        if (!id || !size || *size > r.remaining()) return;
        Reader sub(r.bytes(), r.pos(), r.pos() + *size);
        if (*id == 0) {
            if (auto n = sub.name()) m_.module_name = *n;
        } else if (*id == 1) {
            auto count = sub.u32();
            if (!count) return;
            for (uint32_t i = 0; i < *count; ++i) {
                auto idx = sub.u32();
                if (!idx) return;
                auto n = sub.name();
                if (!n) return;
                m_.func_names[*idx] = *n;
            }
        }
        Reader next(r.bytes(), r.pos() + *size, r.end());
        r = next;
    }
}

Result<void> Decoder::decode() {
    Reader r(m_.bytes);
    if (m_.bytes.size() < 4) return r.error("unexpected end: magic header not detected");
    if (std::memcmp(m_.bytes.data(), "\0asm", 4) != 0) return r.error("magic header not detected");
    CIRRUS_TRY(r.take(4));
    if (r.remaining() < 4) return r.error("unexpected end: unknown binary version");
    CIRRUS_TRY_ASSIGN(uint32_t version, r.fixed_u32());
    if (version != 1) return Reader::error_at(4, fmt::format("unknown binary version {}", version));

    int last_rank = 0;
    while (!r.at_end()) {
        size_t id_at = r.pos();
        CIRRUS_TRY_ASSIGN(uint8_t id, r.u8());
        CIRRUS_TRY_ASSIGN(uint32_t size, r.u32());
        if (size > r.remaining())
            return Reader::error_at(id_at, "unexpected end: section size out of bounds");
        size_t end = r.pos() + size;
        Reader s(m_.bytes, r.pos(), end);
        if (id == 0) {
            CIRRUS_TRY_ASSIGN(std::string name, s.name());
            custom_section(s, std::move(name), end);
        } else {
            int rank = section_rank(id);
            if (rank < 0)
                return Reader::error_at(id_at, fmt::format("malformed section id {}", id));
            if (rank <= last_rank)
                return Reader::error_at(id_at, fmt::format("unexpected content after last section: "
                                                           "section {} out of order or duplicated",
                                                           id));
            last_rank = rank;
            switch (id) {
            case 1: CIRRUS_TRY(type_section(s)); break;
            case 2: CIRRUS_TRY(import_section(s)); break;
            case 3: CIRRUS_TRY(function_section(s)); break;
            case 4: CIRRUS_TRY(table_section(s)); break;
            case 5: CIRRUS_TRY(memory_section(s)); break;
            case 6: CIRRUS_TRY(global_section(s)); break;
            case 7: CIRRUS_TRY(export_section(s)); break;
            case 8: CIRRUS_TRY(start_section(s)); break;
            case 9: CIRRUS_TRY(element_section(s)); break;
            case 12: {
                CIRRUS_TRY_ASSIGN(uint32_t count, s.u32());
                m_.data_count = count;
                break;
            }
            case 10: CIRRUS_TRY(code_section(s)); break;
            case 11: CIRRUS_TRY(data_section(s)); break;
            }
            if (!s.at_end()) return Reader::error_at(s.pos(), "section size mismatch");
        }
        r = Reader(m_.bytes, end);
    }
    if (!saw_code_ && declared_funcs_ != 0)
        return Reader::error_at(m_.bytes.size(),
                                "function and code section have inconsistent lengths");
    if (m_.data_count && *m_.data_count != m_.datas.size())
        return Reader::error_at(m_.bytes.size(),
                                "data count and data section have inconsistent lengths");
    return {};
}

} // namespace

Result<std::unique_ptr<ModuleData>> decode_module(const Engine& engine,
                                                  std::span<const uint8_t> bytes) {
    auto m = std::make_unique<ModuleData>();
    m->bytes.assign(bytes.begin(), bytes.end());
    Decoder d(engine, *m);
    CIRRUS_TRY(d.decode());
    return m;
}

} // namespace cirrus::wasm::detail

